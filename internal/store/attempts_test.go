package store_test

import (
	"testing"

	"gatehouse/internal/store"
)

// TestClamp: what strangers send is stored as valid UTF-8 cut on a rune
// boundary within the column's size.
func TestClamp(t *testing.T) {
	check := func(got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	check(store.ClampBytes("héllo", 100), "héllo")
	check(store.ClampBytes("héllo", 2), "h")           // "é" does not fit in the second byte
	check(store.ClampBytes("ab\xc3", 100), "ab")       // a rune cut off at the end is dropped
	check(store.ClampBytes("a\xffb", 100), "a\uFFFDb") // invalid bytes inside are replaced
	check(store.ClampBytes("€€", 5), "€")
	check(store.ClampChars("üüüü", 2), "üü") // VARCHAR counts characters
}
