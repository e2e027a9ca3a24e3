package registration

import (
	"sync/atomic"
	"testing"
)

// CountHashes counts the password hashes computed for pw until the test
// ends (other tests hash other passwords).
func CountHashes(t testing.TB, pw string) *atomic.Int64 {
	var n atomic.Int64
	orig := hashPassword
	hashPassword = func(p string) (string, error) {
		if p == pw {
			n.Add(1)
		}
		return orig(p)
	}
	t.Cleanup(func() { hashPassword = orig })
	return &n
}
