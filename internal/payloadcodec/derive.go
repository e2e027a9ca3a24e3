package payloadcodec

import (
	"crypto/hkdf"
	"crypto/sha256"
)

// Derive returns a 32-byte key for another purpose (sealing ID-token
// signing keys), so one configured secret never encrypts two kinds of data
// with the same key.
func (k Key) Derive(purpose string) ([]byte, error) {
	return hkdf.Key(sha256.New, k.secret, nil, "gatehouse/"+purpose, 32)
}
