-- +goose Up
-- The outbox side of events: the previous snapshot (for field-changed
-- conditions) and when the event was handed to Temporal.
ALTER TABLE events
    ADD COLUMN previous_object LONGTEXT    NULL,
    ADD COLUMN dispatched_at   DATETIME(6) NULL,
    ADD KEY events_pending (dispatched_at, occurred_at);
-- Events from before outbound notifications existed are history, not work.
UPDATE events SET dispatched_at = occurred_at;

-- The latest object per (type, id), so dispatch can send objects that live
-- outside Gatehouse.
CREATE TABLE object_snapshots (
    object_type VARCHAR(128) NOT NULL,
    object_id   VARCHAR(128) NOT NULL,
    object      LONGTEXT     NOT NULL,
    event_id    VARCHAR(64)  NOT NULL,
    updated_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (object_type, object_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- POST /api/v1/events Idempotency-Key: the first result for 24 h.
CREATE TABLE idempotency_keys (
    key_hash     BINARY(32)  NOT NULL PRIMARY KEY,
    request_hash BINARY(32)  NOT NULL,
    event_id     VARCHAR(64) NOT NULL,
    created_at   DATETIME(6) NOT NULL,
    KEY idempotency_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Kaltura-compatible event notification templates. partner_id 0 holds the
-- system templates. Secrets live in their own column so that serialising a
-- template can never include them.
CREATE TABLE notification_templates (
    id                BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    partner_id        INT          NOT NULL,
    system_name       VARCHAR(128) NULL,
    name              VARCHAR(255) NOT NULL,
    type              VARCHAR(64)  NOT NULL,
    status            TINYINT      NOT NULL,
    event_type        VARCHAR(128) NOT NULL,
    event_object_type VARCHAR(128) NOT NULL,
    body              LONGTEXT     NOT NULL,
    secrets           LONGTEXT     NOT NULL,
    failing_since     DATETIME(6)  NULL,
    disabled_reason   VARCHAR(255) NULL,
    created_at        DATETIME(6)  NOT NULL,
    updated_at        DATETIME(6)  NOT NULL,
    KEY templates_match (status, event_type, event_object_type),
    KEY templates_partner (partner_id, system_name)
) ENGINE=InnoDB AUTO_INCREMENT=1001 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Tyk-style webhook channels.
CREATE TABLE channels (
    id                    VARCHAR(40)   NOT NULL PRIMARY KEY,
    name                  VARCHAR(255)  NOT NULL,
    status                VARCHAR(16)   NOT NULL,
    body                  LONGTEXT      NOT NULL,
    secret                VARCHAR(255)  NOT NULL,
    previous_secret       VARCHAR(255)  NULL,
    previous_secret_until DATETIME(6)   NULL,
    failing_since         DATETIME(6)   NULL,
    disabled_reason       VARCHAR(255)  NULL,
    created_at            DATETIME(6)   NOT NULL,
    updated_at            DATETIME(6)   NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per delivery workflow; id is the workflow id (event x target).
CREATE TABLE deliveries (
    id              VARCHAR(191)  NOT NULL PRIMARY KEY,
    job_id          BIGINT        NOT NULL AUTO_INCREMENT,
    event_id        VARCHAR(64)   NOT NULL,
    event_type      VARCHAR(128)  NOT NULL,
    target_kind     VARCHAR(16)   NOT NULL,
    target_id       VARCHAR(40)   NOT NULL,
    url             VARCHAR(2048) NOT NULL,
    status          VARCHAR(16)   NOT NULL,
    attempts        INT           NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6)   NULL,
    last_status     INT           NULL,
    last_error      TEXT          NULL,
    manual          TINYINT       NOT NULL DEFAULT 0,
    created_at      DATETIME(6)   NOT NULL,
    updated_at      DATETIME(6)   NOT NULL,
    finished_at     DATETIME(6)   NULL,
    UNIQUE KEY deliveries_job (job_id),
    KEY deliveries_status (status, updated_at),
    KEY deliveries_target (target_kind, target_id, created_at),
    KEY deliveries_event (event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every attempt, keyed by number so a retried activity overwrites its own row.
CREATE TABLE delivery_attempts (
    delivery_id     VARCHAR(191)  NOT NULL,
    attempt         INT           NOT NULL,
    started_at      DATETIME(6)   NOT NULL,
    url             VARCHAR(2048) NOT NULL,
    method          VARCHAR(8)    NOT NULL,
    request_headers LONGTEXT      NOT NULL,
    body_size       INT           NOT NULL,
    body_sha256     CHAR(64)      NOT NULL,
    response_status INT           NULL,
    response_body   MEDIUMTEXT    NULL,
    latency_ms      INT           NOT NULL,
    error           TEXT          NULL,
    outcome         VARCHAR(16)   NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Email deliveries: one row per recipient.
CREATE TABLE delivery_recipients (
    delivery_id VARCHAR(191) NOT NULL,
    kind        VARCHAR(4)   NOT NULL,
    email       VARCHAR(254) NOT NULL,
    name        VARCHAR(255) NOT NULL,
    status      VARCHAR(16)  NOT NULL,
    smtp_code   INT          NULL,
    message     TEXT         NULL,
    updated_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (delivery_id, kind, email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Kaltura's category recipient provider resolves a category to a group.
CREATE TABLE category_groups (
    category_id VARCHAR(128) NOT NULL PRIMARY KEY,
    group_id    VARCHAR(128) NOT NULL,
    updated_at  DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE category_groups;
DROP TABLE delivery_recipients;
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
DROP TABLE channels;
DROP TABLE notification_templates;
DROP TABLE idempotency_keys;
DROP TABLE object_snapshots;
ALTER TABLE events DROP KEY events_pending, DROP COLUMN dispatched_at, DROP COLUMN previous_object;
