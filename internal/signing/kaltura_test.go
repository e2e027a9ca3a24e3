package signing

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const (
	kalturaKey = "s3cr3t-Key/with+chars="
	// Quotes, a backslash, a newline and non-ASCII: everything that could
	// get mangled between Go and a shell pipeline.
	kalturaBody = "{\"event\":\"entry.ready\",\"name\":\"Zoë \\\"quoted\\\"\",\n\"id\":\"0_abc\"}"
)

func TestParseAlgo(t *testing.T) {
	for n, want := range map[int]struct {
		algo Algo
		name string
	}{
		0: {SHA256, "sha256"},
		1: {SHA1, "sha1"},
		2: {SHA256, "sha256"},
		3: {SHA384, "sha384"},
		4: {SHA512, "sha512"},
		5: {MD5, "md5"},
	} {
		a, err := ParseAlgo(n)
		if err != nil {
			t.Fatalf("ParseAlgo(%d): %v", n, err)
		}
		if a != want.algo || a.Name() != want.name {
			t.Errorf("ParseAlgo(%d) = %v %q, want %v %q", n, int(a), a.Name(), int(want.algo), want.name)
		}
	}
	for _, n := range []int{-1, 6, 42} {
		_, err := ParseAlgo(n)
		if err == nil {
			t.Fatalf("ParseAlgo(%d) accepted", n)
		}
		for _, allowed := range []string{"1 (sha1)", "2 (sha256)", "3 (sha384)", "4 (sha512)", "5 (md5)", "0"} {
			if !strings.Contains(err.Error(), allowed) {
				t.Errorf("ParseAlgo(%d) error %q does not name %s", n, err, allowed)
			}
		}
	}
}

func TestZeroAlgoIsSHA256(t *testing.T) {
	var zero Algo
	if zero.Name() != "sha256" || KalturaSignature(zero, "k", []byte("b")) != KalturaSignature(SHA256, "k", []byte("b")) {
		t.Fatal("zero Algo must sign as SHA256")
	}
}

func TestUnknownAlgoPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("signing with Algo(9) did not panic")
		}
	}()
	KalturaSignature(Algo(9), "k", nil)
}

// TestKalturaSignature recomputes each hash with the standard library
// directly, on the concatenation, not through KalturaSignature's code path.
func TestKalturaSignature(t *testing.T) {
	joined := []byte(kalturaKey + kalturaBody)
	s1 := sha1.Sum(joined)
	s256 := sha256.Sum256(joined)
	s384 := sha512.Sum384(joined)
	s512 := sha512.Sum512(joined)
	m5 := md5.Sum(joined)
	for a, want := range map[Algo]string{
		SHA1:   hex.EncodeToString(s1[:]),
		SHA256: hex.EncodeToString(s256[:]),
		SHA384: hex.EncodeToString(s384[:]),
		SHA512: hex.EncodeToString(s512[:]),
		MD5:    hex.EncodeToString(m5[:]),
	} {
		got := KalturaSignature(a, kalturaKey, []byte(kalturaBody))
		if got != want {
			t.Errorf("%s: got %s want %s", a.Name(), got, want)
		}
		if got != strings.ToLower(got) {
			t.Errorf("%s: signature %s is not lowercase", a.Name(), got)
		}
		h := KalturaHeaders(a, kalturaKey, []byte(kalturaBody))
		if h.Get(HeaderKalturaSignature) != want || h.Get(HeaderKalturaHashAlgo) != a.Name() {
			t.Errorf("%s: headers %v", a.Name(), h)
		}
	}
	// Not HMAC, and the key really is part of the input.
	if KalturaSignature(SHA256, "other", []byte(kalturaBody)) == KalturaSignature(SHA256, kalturaKey, []byte(kalturaBody)) {
		t.Error("key does not affect the signature")
	}
}

// TestKalturaSignatureMatchesCoreutils checks the promise in our docs: a
// receiver can verify with `echo -n "${SECRET}${BODY}" | sha256sum`.
func TestKalturaSignatureMatchesCoreutils(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	for _, tc := range []struct {
		algo Algo
		tool string
	}{
		{SHA256, "sha256sum"},
		{SHA1, "sha1sum"},
		{SHA384, "sha384sum"},
		{SHA512, "sha512sum"},
		{MD5, "md5sum"},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			if _, err := exec.LookPath(tc.tool); err != nil {
				t.Skipf("%s not installed", tc.tool)
			}
			cmd := exec.Command(bash, "-c", `echo -n "${SECRET}${BODY}" | `+tc.tool)
			cmd.Env = append(os.Environ(), "SECRET="+kalturaKey, "BODY="+kalturaBody)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v", tc.tool, err)
			}
			fields := strings.Fields(string(out))
			if len(fields) == 0 {
				t.Fatalf("%s printed nothing", tc.tool)
			}
			if got := KalturaSignature(tc.algo, kalturaKey, []byte(kalturaBody)); got != fields[0] {
				t.Errorf("%s says %s, KalturaSignature says %s", tc.tool, fields[0], got)
			}
		})
	}
}
