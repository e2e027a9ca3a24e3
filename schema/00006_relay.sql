-- +goose Up
-- The relay ages and orders events by when Gatehouse stored them
-- (recorded_at, the database's clock), never by the sender's occurred_at. An
-- event whose dispatch keeps failing through its own fault is counted
-- (dispatch_attempts, dispatch_error) and, at the relay's limit, set aside
-- (dispatch_skipped_at) so newer events are not held behind it.
ALTER TABLE events
    ADD COLUMN recorded_at         DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    ADD COLUMN dispatch_attempts   INT           NOT NULL DEFAULT 0,
    ADD COLUMN dispatch_error      VARCHAR(1024) NULL,
    ADD COLUMN dispatch_skipped_at DATETIME(6)   NULL;
-- Rows from before this migration: the best record of their arrival.
UPDATE events SET recorded_at = occurred_at;
ALTER TABLE events
    DROP KEY events_pending,
    ADD KEY events_pending (dispatched_at, dispatch_skipped_at, recorded_at);

-- +goose Down
ALTER TABLE events
    DROP KEY events_pending,
    ADD KEY events_pending (dispatched_at, occurred_at);
ALTER TABLE events
    DROP COLUMN dispatch_skipped_at,
    DROP COLUMN dispatch_error,
    DROP COLUMN dispatch_attempts,
    DROP COLUMN recorded_at;
