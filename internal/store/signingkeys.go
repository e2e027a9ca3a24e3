package store

import (
	"context"
	"time"
)

// SigningKey is one ID-token signing key as stored: the public JWK in the
// clear, the private one sealed (internal/idtoken seals and opens it).
type SigningKey struct {
	KID        string    `db:"kid"`
	Algorithm  string    `db:"algorithm"`
	PublicJWK  string    `db:"public_jwk"`
	PrivateJWE string    `db:"private_jwe"`
	CreatedAt  time.Time `db:"created_at"`
}

// AddSigningKey stores k unless a key with its kid exists: gateways that
// race to make the same period's key keep the first one.
func (s *Store) AddSigningKey(ctx context.Context, k SigningKey) error {
	_, err := s.db.ExecContext(ctx, `INSERT IGNORE INTO signing_keys (kid, algorithm, public_jwk, private_jwe, created_at)
		VALUES (?, ?, ?, ?, ?)`, k.KID, k.Algorithm, k.PublicJWK, k.PrivateJWE, k.CreatedAt.UTC())
	return err
}

// SigningKeys returns the keys created at or after since, newest first.
func (s *Store) SigningKeys(ctx context.Context, since time.Time) ([]SigningKey, error) {
	var keys []SigningKey
	err := s.db.SelectContext(ctx, &keys, `SELECT kid, algorithm, public_jwk, private_jwe, created_at FROM signing_keys
		WHERE created_at >= ? ORDER BY created_at DESC`, since.UTC())
	return keys, err
}

// DeleteSigningKeys removes keys created before t (no longer published).
func (s *Store) DeleteSigningKeys(ctx context.Context, before time.Time) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM signing_keys WHERE created_at < ?", before.UTC())
	return err
}
