-- +goose Up
-- ID-token signing keys. Gatehouse makes one per rotation period (the kid
-- names the period, so gateways racing to make it insert one row); the
-- private key is a JWE sealed with a key derived from GATEHOUSE_PAYLOAD_KEYS.
CREATE TABLE signing_keys (
    kid         VARCHAR(64) NOT NULL PRIMARY KEY,
    algorithm   VARCHAR(16) NOT NULL,
    public_jwk  TEXT        NOT NULL,
    private_jwe TEXT        NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    KEY signing_keys_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE signing_keys;
