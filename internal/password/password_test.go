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
}

func TestCheck(t *testing.T) {
	for pw, want := range map[string]error{
		"short":                          ErrTooShort,
		"ünïcödé pw":                     nil, // runes, not bytes
		"ünïcödé p":                      ErrTooShort,
		strings.Repeat(" ", 12):          ErrBlank,
		"long enough pw":                 nil,
		strings.Repeat("x", MaxLength):   nil,
		strings.Repeat("x", MaxLength+1): ErrTooLong,
	} {
		if err := Check(pw); err != want {
			t.Errorf("%q: %v, want %v", pw, err, want)
		}
	}
}

// With every slot taken, a hash waits for one: memory stays bounded by the
// slots, not by the number of requests.
func TestHashWaitsForASlot(t *testing.T) {
	for range cap(slots) {
		slots <- struct{}{}
	}
	done := make(chan string)
	go func() {
		h, _ := Hash("correct horse battery")
		done <- h
	}()
	select {
	case <-done:
		t.Fatal("hashed while every slot was taken")
	default:
	}
	<-slots // free one
	h := <-done
	for range cap(slots) - 1 {
		<-slots
	}
	if !Verify("correct horse battery", h) {
		t.Fatal("hash does not verify")
	}
	if Verify("x", "$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHQ$a2V5") {
		t.Fatal("accepted a hash naming 4 GiB of memory")
	}
}
