package portal_test

import (
	"crypto/rand"
	"time"

	"gatehouse/internal/signing"
)

// signHeaders signs body as a Standard Webhooks sender would.
func signHeaders(secret string, body []byte) ([]string, error) {
	h, err := signing.StandardHeaders("msg_"+rand.Text()[:12], time.Now(), body, secret)
	if err != nil {
		return nil, err
	}
	var out []string
	for k := range h {
		out = append(out, k+": "+h.Get(k))
	}
	return out, nil
}
