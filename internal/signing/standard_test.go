package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

var standardBody = []byte(`{"type":"registration.completed","data":{"email":"zoë@example.com"}}`)

// verifier is what a receiver using the official library builds from the
// secret we show them.
func verifier(t *testing.T, secret string) *standardwebhooks.Webhook {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatalf("official library rejects our secret: %v", err)
	}
	return wh
}

func TestStandardHeadersVerifyWithOfficialLibrary(t *testing.T) {
	secret := NewSecret()
	now := time.Now()
	h, err := StandardHeaders("msg_2zYh1", now, standardBody, secret)
	if err != nil {
		t.Fatal(err)
	}
	wh := verifier(t, secret)
	if err := wh.Verify(standardBody, h); err != nil {
		t.Fatalf("official library rejects our signature: %v", err)
	}
	// Byte-for-byte the same header the official signer produces.
	want, err := wh.Sign("msg_2zYh1", now, standardBody)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get(HeaderWebhookSignature); got != want {
		t.Errorf("signature %q, official library signs %q", got, want)
	}
	if h.Get(HeaderWebhookID) != "msg_2zYh1" || h.Get(HeaderWebhookTimestamp) != strconv.FormatInt(now.Unix(), 10) {
		t.Errorf("headers %v", h)
	}
}

func TestStandardHeadersRotation(t *testing.T) {
	oldSecret, newSecret := NewSecret(), NewSecret()
	h, err := StandardHeaders("msg_rot", time.Now(), standardBody, oldSecret, newSecret)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(h.Get(HeaderWebhookSignature))); n != 2 {
		t.Fatalf("want 2 signatures, got %d: %q", n, h.Get(HeaderWebhookSignature))
	}
	if err := verifier(t, oldSecret).Verify(standardBody, h); err != nil {
		t.Errorf("receiver still on the old secret: %v", err)
	}
	if err := verifier(t, newSecret).Verify(standardBody, h); err != nil {
		t.Errorf("receiver already on the new secret: %v", err)
	}
	if err := verifier(t, NewSecret()).Verify(standardBody, h); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Errorf("unrelated secret: want ErrNoMatchingSignature, got %v", err)
	}
}

func TestStandardHeadersTamperedBodyFails(t *testing.T) {
	secret := NewSecret()
	h, err := StandardHeaders("msg_tamper", time.Now(), standardBody, secret)
	if err != nil {
		t.Fatal(err)
	}
	tampered := []byte(strings.Replace(string(standardBody), "completed", "cancelled", 1))
	if err := verifier(t, secret).Verify(tampered, h); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Fatalf("tampered body: want ErrNoMatchingSignature, got %v", err)
	}
	// Also the id and timestamp are covered by the signature.
	h2 := h.Clone()
	h2.Set(HeaderWebhookID, "msg_other")
	if err := verifier(t, secret).Verify(standardBody, h2); err == nil {
		t.Error("changed webhook-id still verifies")
	}
}

func TestStandardHeadersOldTimestampFails(t *testing.T) {
	secret := NewSecret()
	h, err := StandardHeaders("msg_old", time.Now().Add(-10*time.Minute), standardBody, secret)
	if err != nil {
		t.Fatal(err)
	}
	wh := verifier(t, secret)
	if err := wh.Verify(standardBody, h); !errors.Is(err, standardwebhooks.ErrMessageTooOld) {
		t.Fatalf("10 minutes old: want ErrMessageTooOld, got %v", err)
	}
	// The signature itself is fine; only the age is what failed.
	if err := wh.VerifyIgnoringTimestamp(standardBody, h); err != nil {
		t.Fatalf("signature of old message: %v", err)
	}
}

// TestStandardSignatureByHand follows the spec's recipe without our helper.
func TestStandardSignatureByHand(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	ts := time.Unix(1700000000, 999_000_000) // sub-second part must be dropped
	h, err := StandardHeaders("msg_1", ts, standardBody, secret)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("msg_1.1700000000." + string(standardBody)))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	if got := h.Get(HeaderWebhookSignature); got != want {
		t.Errorf("got %q want %q", got, want)
	}
	if got := h.Get(HeaderWebhookTimestamp); got != "1700000000" {
		t.Errorf("timestamp %q", got)
	}
	// The same secret twice is one signature, not a duplicate.
	h, err = StandardHeaders("msg_1", ts, standardBody, secret, secret)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get(HeaderWebhookSignature); got != want {
		t.Errorf("duplicate secret: got %q", got)
	}
}

func TestStandardHeadersErrors(t *testing.T) {
	good := NewSecret()
	now := time.Now()
	for name, f := range map[string]func() error{
		"no secret":    func() error { _, err := StandardHeaders("m", now, nil); return err },
		"empty id":     func() error { _, err := StandardHeaders("", now, nil, good); return err },
		"space in id":  func() error { _, err := StandardHeaders("a b", now, nil, good); return err },
		"CRLF in id":   func() error { _, err := StandardHeaders("a\r\nX: y", now, nil, good); return err },
		"zero time":    func() error { _, err := StandardHeaders("m", time.Time{}, nil, good); return err },
		"bad 2nd":      func() error { _, err := StandardHeaders("m", now, nil, good, "whsec_short"); return err },
		"no prefix":    func() error { _, err := StandardHeaders("m", now, nil, strings.TrimPrefix(good, "whsec_")); return err },
		"non-ascii id": func() error { _, err := StandardHeaders("msg_é", now, nil, good); return err },
	} {
		err := f()
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), strings.TrimPrefix(good, "whsec_")) {
			t.Errorf("%s: error leaks the secret: %v", name, err)
		}
	}
}

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b {
		t.Fatal("two secrets are equal")
	}
	key, err := ParseSecret(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != 32 || !strings.HasPrefix(a, "whsec_") {
		t.Fatalf("secret %d bytes, %q", len(key), MaskSecret(a))
	}
}

func TestParseSecret(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	for _, tc := range []struct {
		in, why string // why: a word the error must contain; "" means valid
	}{
		{"whsec_" + b64(24), ""},
		{"whsec_" + b64(32), ""},
		{"whsec_" + b64(64), ""},
		{b64(32), "whsec_"},
		{"WHSEC_" + b64(32), "whsec_"},
		{"whsec_" + b64(23), "23 bytes"},
		{"whsec_" + b64(65), "65 bytes"},
		{"whsec_", "0 bytes"},
		{"whsec_" + strings.TrimRight(b64(32), "="), "base64"},
		{"whsec_" + strings.NewReplacer("A", "-").Replace(b64(32)), "base64"}, // URL alphabet
		{"whsec_" + b64(16) + "\n" + b64(16), "line break"},
		{"whsec_ " + b64(32), "base64"},
	} {
		key, err := ParseSecret(tc.in)
		switch {
		case tc.why == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.why == "" && len(key) == 0:
			t.Errorf("%q: empty key", tc.in)
		case tc.why != "" && err == nil:
			t.Errorf("%q accepted", tc.in)
		case tc.why != "" && !strings.Contains(err.Error(), tc.why):
			t.Errorf("%q: error %q does not say %q", tc.in, err, tc.why)
		}
	}
}

func TestMaskSecret(t *testing.T) {
	s := NewSecret()
	m := MaskSecret(s)
	body := strings.TrimRight(strings.TrimPrefix(s, "whsec_"), "=")
	if want := "whsec_…" + body[len(body)-4:]; m != want {
		t.Errorf("MaskSecret = %q, want %q", m, want)
	}
	if strings.Contains(m, body[:8]) {
		t.Errorf("mask %q shows the start of the secret", m)
	}
	for in, want := range map[string]string{
		"":                               "",
		"whsec_abc":                      "whsec_…",
		"short":                          "…",
		"whsec_":                         "whsec_…",
		strings.Repeat("x", 40) + "WXYZ": "…WXYZ",
	} {
		if got := MaskSecret(in); got != want {
			t.Errorf("MaskSecret(%q) = %q, want %q", in, got, want)
		}
	}
}
