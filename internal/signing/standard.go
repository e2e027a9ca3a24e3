package signing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks header names. http.Header canonicalizes them on Set;
// the spec's lowercase spelling matters only to readers, HTTP ignores case.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

const (
	secretPrefix = "whsec_"
	// Bounds the spec sets for the decoded key.
	minSecretBytes = 24
	maxSecretBytes = 64
	newSecretBytes = 32
)

// NewSecret returns a fresh Standard Webhooks secret: whsec_ + base64 of 32
// random bytes.
func NewSecret() string {
	b := make([]byte, newSecretBytes)
	// crypto/rand.Read never returns an error (it crashes the program
	// instead), so there is nothing to handle.
	_, _ = rand.Read(b)
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ParseSecret returns the HMAC key inside a whsec_ secret. Errors say what
// is wrong but never repeat the secret, so they are safe to log.
func ParseSecret(s string) ([]byte, error) {
	enc, ok := strings.CutPrefix(s, secretPrefix)
	if !ok {
		return nil, errors.New("webhook secret must start with " + secretPrefix)
	}
	// The decoder silently skips CR and LF; a secret pasted with a line
	// break is a copy mistake worth reporting, not accepting.
	if strings.ContainsAny(enc, "\r\n") {
		return nil, errors.New("webhook secret contains a line break")
	}
	key, err := base64.StdEncoding.Strict().DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("webhook secret is not valid standard base64 after %s: %w", secretPrefix, err)
	}
	if len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return nil, fmt.Errorf("webhook secret decodes to %d bytes, want %d to %d", len(key), minSecretBytes, maxSecretBytes)
	}
	return key, nil
}

// StandardHeaders signs body the Standard Webhooks way. Each secret adds one
// "v1,<sig>" entry, so during rotation sending both the old and the new
// secret keeps receivers that know either one working.
func StandardHeaders(msgID string, ts time.Time, body []byte, secrets ...string) (http.Header, error) {
	if msgID == "" {
		return nil, errors.New("webhook message id is empty")
	}
	// The id is signed byte for byte and must reach the receiver unchanged;
	// spaces, controls or non-ASCII bytes risk being trimmed or rejected on
	// the way.
	for i := 0; i < len(msgID); i++ {
		if c := msgID[i]; c <= ' ' || c >= 0x7f {
			return nil, fmt.Errorf("webhook message id %q has byte %#x at %d; use visible ASCII only", msgID, c, i)
		}
	}
	if ts.IsZero() {
		return nil, errors.New("webhook timestamp is not set")
	}
	if len(secrets) == 0 {
		return nil, errors.New("no webhook secret to sign with")
	}
	unix := strconv.FormatInt(ts.Unix(), 10)
	sigs := make([]string, 0, len(secrets))
	seen := make(map[string]bool, len(secrets))
	for i, s := range secrets {
		key, err := ParseSecret(s)
		if err != nil {
			return nil, fmt.Errorf("webhook secret %d of %d: %w", i+1, len(secrets), err)
		}
		sig := "v1," + standardSignature(key, msgID, unix, body)
		if !seen[sig] {
			seen[sig] = true
			sigs = append(sigs, sig)
		}
	}
	h := make(http.Header, 3)
	h.Set(HeaderWebhookID, msgID)
	h.Set(HeaderWebhookTimestamp, unix)
	h.Set(HeaderWebhookSignature, strings.Join(sigs, " "))
	return h, nil
}

func standardSignature(key []byte, msgID, unix string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID))
	m.Write([]byte{'.'})
	m.Write([]byte(unix))
	m.Write([]byte{'.'})
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// MaskSecret gives a form of a secret fit for logs and the UI: enough to
// tell two secrets apart ("whsec_…abcd"), never enough to use one. Four
// base64 characters are 24 bits of a key of at least 192.
func MaskSecret(s string) string {
	if s == "" {
		return ""
	}
	prefix := ""
	if rest, ok := strings.CutPrefix(s, secretPrefix); ok {
		prefix, s = secretPrefix, rest
	}
	// Padding is the same for every key of one length, so it would not
	// help tell secrets apart.
	s = strings.TrimRight(s, "=")
	// A tail of a short (malformed) secret would be a large share of it.
	const tail, minLen = 4, 32
	if len(s) < minLen {
		return prefix + "…"
	}
	return prefix + "…" + s[len(s)-tail:]
}

// StandardTolerance is how far a signed webhook's timestamp may be from
// our clock (the Standard Webhooks libraries' default), against replays.
const StandardTolerance = 5 * time.Minute

// VerifyStandard checks a Standard Webhooks signature made with secret:
// the id and timestamp headers are present, the timestamp is within
// StandardTolerance of now, and one "v1," signature matches (compared in
// constant time). Errors never repeat the secret.
func VerifyStandard(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := ParseSecret(secret)
	if err != nil {
		return err
	}
	id, ts, sigs := h.Get(HeaderWebhookID), h.Get(HeaderWebhookTimestamp), h.Get(HeaderWebhookSignature)
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature header")
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("webhook-timestamp is not a Unix time in seconds")
	}
	if d := now.Sub(time.Unix(unix, 0)); d > StandardTolerance || d < -StandardTolerance {
		return errors.New("webhook-timestamp is too far from the current time")
	}
	want := []byte(standardSignature(key, id, ts, body))
	for _, s := range strings.Fields(sigs) {
		if v, sig, ok := strings.Cut(s, ","); ok && v == "v1" && hmac.Equal([]byte(sig), want) {
			return nil
		}
	}
	return errors.New("no webhook-signature matches")
}
