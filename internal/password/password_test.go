package password

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$") || strings.Contains(h, "correct") {
		t.Fatalf("hash %q", h)
	}
	if !Verify("correct horse battery", h) || Verify("correct horse batterx", h) || Verify("x", "garbage") {
		t.Fatal("verify")
	}
	h2, _ := Hash("correct horse battery")
	if h == h2 {
		t.Fatal("salt not random")
	}
	if Check("short") == nil || Check("          ") == nil || Check("long enough pw") != nil {
		t.Fatal("policy")
	}
}
