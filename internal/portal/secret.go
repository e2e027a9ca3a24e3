package portal

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
)

// NewInboundSecret generates an inbound secret: shown once, stored hashed.
func NewInboundSecret() string { return "gph_" + rand.Text() + rand.Text() }

// HashSecret is what is stored of an inbound secret.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// SecretMatches compares a presented secret with a stored hash in constant
// time (hashes of equal length, so the length leaks nothing). No stored
// hash or no secret never matches.
func SecretMatches(hash []byte, secret string) bool {
	if len(hash) != sha256.Size || secret == "" {
		return false
	}
	return subtle.ConstantTimeCompare(hash, HashSecret(secret)) == 1
}
