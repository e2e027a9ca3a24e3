-- +goose Up
-- Tyk Enterprise Developer Portals Gatehouse is connected to. The admin
-- token must be readable (we call the portal with it), so it sits in its own
-- column like channels.secret and never in the JSON model; the inbound
-- secret is generated, shown once and only its SHA-256 is kept.
CREATE TABLE portals (
    id                       VARCHAR(64)   NOT NULL PRIMARY KEY,
    name                     VARCHAR(255)  NOT NULL,
    base_url                 VARCHAR(2048) NOT NULL,
    admin_token              VARCHAR(512)  NOT NULL,
    inbound_secret_hash      BINARY(32)    NULL,
    inbound_header           VARCHAR(128)  NOT NULL DEFAULT 'X-Gatehouse-Secret',
    standard_webhooks_secret VARCHAR(255)  NULL,
    allowed_addresses        TEXT          NOT NULL,
    approvals                LONGTEXT      NOT NULL,
    created_at               DATETIME(6)   NOT NULL,
    updated_at               DATETIME(6)   NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per accepted webhook; id is also the events (outbox) row's id.
-- portal_timestamp is the portal's clock: identity only, never ordering.
CREATE TABLE portal_events (
    id               VARCHAR(64)  NOT NULL PRIMARY KEY,
    portal_id        VARCHAR(64)  NOT NULL,
    dedup_key        BINARY(32)   NOT NULL,
    event_name       VARCHAR(64)  NOT NULL,
    sent_name        VARCHAR(64)  NOT NULL,
    entity_id        VARCHAR(64)  NOT NULL,
    portal_timestamp DATETIME(6)  NOT NULL,
    message          LONGTEXT     NOT NULL,
    received_at      DATETIME(6)  NOT NULL,
    approval_id      VARCHAR(191) NULL,
    UNIQUE KEY portal_events_dedup (portal_id, dedup_key),
    KEY portal_events_received (portal_id, received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The sender's own Timestamp as received (portal events), forwarded to
-- channels unchanged; occurred_at stays Gatehouse's clock.
ALTER TABLE events ADD COLUMN sent_timestamp VARCHAR(64) NULL;

-- One decision about one portal entity; id is the Approval workflow id.
CREATE TABLE approvals (
    id                    VARCHAR(191)  NOT NULL PRIMARY KEY,
    portal_id             VARCHAR(64)   NOT NULL,
    kind                  VARCHAR(32)   NOT NULL,
    entity_id             VARCHAR(64)   NOT NULL,
    portal_object_id      BIGINT        NULL,
    requester_id          BIGINT        NULL,
    status                VARCHAR(16)   NOT NULL,
    decided_via           VARCHAR(16)   NULL,
    decided_by            VARCHAR(254)  NULL,
    reason                VARCHAR(1000) NULL,
    decided_at            DATETIME(6)   NULL,
    required_approvals    INT           NOT NULL,
    policy                LONGTEXT      NOT NULL,
    summary               LONGTEXT      NOT NULL,
    event_id              VARCHAR(64)   NOT NULL,
    callback_status       VARCHAR(16)   NULL,
    callback_message      VARCHAR(512)  NULL,
    org_create_started_at DATETIME(6)   NULL,
    portal_org_id         BIGINT        NULL,
    expires_at            DATETIME(6)   NULL,
    created_at            DATETIME(6)   NOT NULL,
    updated_at            DATETIME(6)   NOT NULL,
    KEY approvals_list (status, created_at, id),
    KEY approvals_portal (portal_id, kind, status, created_at, id),
    KEY approvals_requester (portal_id, kind, requester_id, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE approval_votes (
    approval_id VARCHAR(191)  NOT NULL,
    approver    VARCHAR(254)  NOT NULL,
    decision    VARCHAR(16)   NOT NULL,
    decision_id VARCHAR(64)   NOT NULL,
    reason      VARCHAR(1000) NULL,
    voted_at    DATETIME(6)   NOT NULL,
    PRIMARY KEY (approval_id, approver),
    UNIQUE KEY approval_votes_decision (decision_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every step, numbered by the workflow (deterministic, retry-safe).
CREATE TABLE approval_audit (
    approval_id VARCHAR(191) NOT NULL,
    seq         INT          NOT NULL,
    at          DATETIME(6)  NOT NULL,
    action      VARCHAR(32)  NOT NULL,
    actor       VARCHAR(254) NULL,
    detail      TEXT         NULL,
    PRIMARY KEY (approval_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Emailed decision links: only the token's hash is stored.
CREATE TABLE approval_links (
    token_hash  BINARY(32)   NOT NULL PRIMARY KEY,
    approval_id VARCHAR(191) NOT NULL,
    approver    VARCHAR(254) NOT NULL,
    created_at  DATETIME(6)  NOT NULL,
    expires_at  DATETIME(6)  NOT NULL,
    used_at     DATETIME(6)  NULL,
    KEY approval_links_approval (approval_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE approval_links;
DROP TABLE approval_audit;
DROP TABLE approval_votes;
DROP TABLE approvals;
ALTER TABLE events DROP COLUMN sent_timestamp;
DROP TABLE portal_events;
DROP TABLE portals;
