// Package password hashes passwords with argon2id (RFC 9106) and stores them
// in the PHC string format, so parameters can be raised later without
// invalidating existing hashes.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes).
const (
	memoryKiB = 64 * 1024
	passes    = 3
	lanes     = 4
	keyLen    = 32
)

// Policy limits.
const (
	MinLength = 10
	MaxLength = 256
)

// The rules Check refuses a password by. Pages tell them apart with
// errors.Is and say them in the reader's language (pagetext); the texts
// here are English for logs and tests.
var (
	ErrTooShort = fmt.Errorf("use at least %d characters", MinLength)
	ErrTooLong  = fmt.Errorf("use at most %d characters", MaxLength)
	ErrBlank    = errors.New("the password may not be only spaces")
)

// Check returns the rule pw breaks (ErrTooShort, ErrTooLong, ErrBlank), or nil.
func Check(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinLength:
		return ErrTooShort
	case n > MaxLength:
		return ErrTooLong
	case strings.TrimSpace(pw) == "":
		return ErrBlank
	}
	return nil
}

// slots bounds the hashes computed at once: each takes 64 MiB, so without a
// bound a burst of form posts could exhaust the process's memory. Waiting
// requests hold no argon2 memory while they wait.
var slots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

func idKey(pw, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	slots <- struct{}{}
	defer func() { <-slots }()
	return argon2.IDKey(pw, salt, t, m, p, n)
}

// Hash returns $argon2id$v=19$m=65536,t=3,p=4$<salt>$<key>.
func Hash(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := idKey([]byte(pw), salt, passes, memoryKiB, lanes, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memoryKiB, passes, lanes,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches a hash made by Hash.
func Verify(pw, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	// A stored hash could name any cost: refuse parameters above ours.
	if m > memoryKiB || t > 2*passes || p > 2*lanes || len(key) > 64 {
		return false
	}
	got := idKey([]byte(pw), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}
