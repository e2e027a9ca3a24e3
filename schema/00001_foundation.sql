-- +goose Up
-- Written by the self-check workflow: proves the worker can write to MySQL,
-- not only reach it. One row per check, keyed by its workflow id.
CREATE TABLE self_checks (
    workflow_id  VARCHAR(190) NOT NULL PRIMARY KEY,
    checked_at   DATETIME(6)  NOT NULL,
    db_version   VARCHAR(100) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE self_checks;
