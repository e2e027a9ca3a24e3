-- +goose Up
-- JSON documents are LONGTEXT: MariaDB's JSON is LONGTEXT anyway, and
-- Gatehouse never queries inside them.
CREATE TABLE sites (
    id                    VARCHAR(64)  NOT NULL PRIMARY KEY,
    settings              LONGTEXT     NOT NULL,
    registration_key_hash VARBINARY(32) NULL,
    created_at            DATETIME(6)  NOT NULL,
    updated_at            DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE email_templates (
    site_id     VARCHAR(64) NOT NULL,
    template_id VARCHAR(64) NOT NULL,
    body        LONGTEXT    NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (site_id, template_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per (site, normalised email); id is derived from both.
CREATE TABLE users (
    id                VARCHAR(32)  NOT NULL PRIMARY KEY,
    site_id           VARCHAR(64)  NOT NULL,
    email             VARCHAR(254) NOT NULL,
    first_name        VARCHAR(128) NOT NULL,
    last_name         VARCHAR(128) NOT NULL,
    role              VARCHAR(64)  NOT NULL,
    language          VARCHAR(16)  NOT NULL,
    tags              LONGTEXT     NOT NULL,
    status            VARCHAR(16)  NOT NULL,
    user_object       LONGTEXT     NOT NULL,
    registration_info LONGTEXT     NOT NULL,
    password_hash     VARCHAR(255) NULL,
    data_received_at  DATETIME(6)  NOT NULL,
    activated_at      DATETIME(6)  NULL,
    created_at        DATETIME(6)  NOT NULL,
    updated_at        DATETIME(6)  NOT NULL,
    UNIQUE KEY users_site_email (site_id, email),
    KEY users_site_status (site_id, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE user_groups (
    user_id  VARCHAR(32)  NOT NULL,
    group_id VARCHAR(128) NOT NULL,
    site_id  VARCHAR(64)  NOT NULL,
    PRIMARY KEY (user_id, group_id),
    KEY user_groups_site_group (site_id, group_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Only the SHA-256 of a link token is stored.
CREATE TABLE link_tokens (
    token_hash BINARY(32)  NOT NULL PRIMARY KEY,
    user_id    VARCHAR(32) NOT NULL,
    site_id    VARCHAR(64) NOT NULL,
    purpose    VARCHAR(16) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_at    DATETIME(6) NULL,
    revoked_at DATETIME(6) NULL,
    KEY link_tokens_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Domain events, written in the same transaction as the change they report.
CREATE TABLE events (
    id                VARCHAR(64)  NOT NULL PRIMARY KEY,
    event_type        VARCHAR(128) NOT NULL,
    event_object_type VARCHAR(128) NOT NULL,
    object_id         VARCHAR(128) NOT NULL,
    site_id           VARCHAR(64)  NULL,
    object            LONGTEXT     NOT NULL,
    changed_fields    LONGTEXT     NULL,
    source            VARCHAR(64)  NOT NULL,
    occurred_at       DATETIME(6)  NOT NULL,
    KEY events_occurred (occurred_at),
    KEY events_object (event_object_type, object_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE events;
DROP TABLE link_tokens;
DROP TABLE user_groups;
DROP TABLE users;
DROP TABLE email_templates;
DROP TABLE sites;
