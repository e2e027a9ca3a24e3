-- +goose Up
-- An attempt is claimed (outcome 'sending') before its request leaves, so a
-- retried activity never sends the same attempt number twice. wait_ms is the
-- wait the workflow was told after the attempt (schedule and Retry-After), so
-- a retry after the record answers the workflow from the row.
ALTER TABLE delivery_attempts ADD COLUMN wait_ms BIGINT NULL;

-- Recipients used to start as 'sending' (meaning "not tried yet"); 'sending'
-- now means an SMTP transaction is under way and 'queued' is the new start.
UPDATE delivery_recipients SET status = 'queued' WHERE status = 'sending';

-- +goose Down
UPDATE delivery_recipients SET status = 'sending' WHERE status IN ('queued', 'unknown');
ALTER TABLE delivery_attempts DROP COLUMN wait_ms;
