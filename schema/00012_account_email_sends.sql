-- +goose Up
-- Account emails (sign-in link, reset link, password-changed notice), one row
-- per activity that sends one: keyed by a digest of the workflow run, the
-- activity and its input, which every retry of the activity shares. The row
-- (and the link it carries) is committed before the SMTP transaction, so a
-- retry answers from it and never sends the email again. status: sending, sent.
CREATE TABLE account_email_sends (
    send_key   BINARY(32)  NOT NULL PRIMARY KEY,
    kind       VARCHAR(32) NOT NULL,
    site_id    VARCHAR(64) NOT NULL,
    user_id    VARCHAR(32) NOT NULL,
    status     VARCHAR(16) NOT NULL,
    claimed_at DATETIME(6) NOT NULL,
    sent_at    DATETIME(6) NULL,
    KEY account_email_sends_claimed (claimed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE account_email_sends;
