// Package linktoken makes the single-use tokens of set-password and magic
// links: 32 random bytes sent to the person, only their SHA-256 stored.
package linktoken

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"

	"gatehouse/internal/domain"
)

// New returns the token for the link and the hash to store.
func New() (token string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, Hash(token), nil
}

// Hash is what the database keys tokens by. Malformed tokens hash too, so
// a lookup of garbage costs the same as a lookup of a real token.
func Hash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Plausible rejects strings that cannot be tokens before any lookup.
func Plausible(token string) bool {
	b, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && len(b) == 32
}

// URL is the link a person opens: the magic-link page for magic links,
// the set-password page otherwise.
func URL(publicURL, purpose, token string) string {
	path := "/set-password"
	if purpose == domain.PurposeMagicLink {
		path = "/magic-link"
	}
	return strings.TrimRight(publicURL, "/") + path + "?token=" + url.QueryEscape(token)
}
