package iprules

import (
	"net/netip"
	"testing"
)

func TestRules(t *testing.T) {
	l, err := Parse([]string{"192.58.252.1-192.58.252.25", "10.0.0.0/8", "203.0.113.7", "2001:db8::/32", "::ffff:198.51.100.1"})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"192.58.252.1": true, "192.58.252.25": true, "192.58.252.26": false, "192.58.251.255": false,
		"10.255.255.255": true, "11.0.0.0": false, "203.0.113.7": true, "203.0.113.8": false,
		"2001:db8::1": true, "2001:db9::1": false, "::ffff:10.1.2.3": true, "198.51.100.1": true,
	} {
		if got := l.Allows(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s: got %v want %v", addr, got, want)
		}
	}
	if !(List{}).Allows(netip.MustParseAddr("8.8.8.8")) {
		t.Error("empty list must allow all")
	}
}

func TestBadRules(t *testing.T) {
	for _, s := range []string{"", "1.2.3", "10.0.0.0/33", "10.0.0.9-10.0.0.1", "1.2.3.4-::1", "host.example", "1.2.3.4-"} {
		if _, err := ParseRule(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

// FuzzRules: parsing never panics, and a parsed rule contains its own bounds.
func FuzzRules(f *testing.F) {
	for _, s := range []string{"192.168.1.1", "192.168.1.0/24", "192.58.252.1-192.58.252.25", "2001:db8::/48", "::1", "0.0.0.0/0", "::ffff:1.2.3.4/120"} {
		f.Add(s, "192.168.1.7")
	}
	f.Fuzz(func(t *testing.T, rule, addr string) {
		r, err := ParseRule(rule)
		if err != nil {
			return
		}
		if !r.Contains(r.first) || !r.Contains(r.last) {
			t.Fatalf("%q does not contain its bounds %v-%v", rule, r.first, r.last)
		}
		if a, err := netip.ParseAddr(addr); err == nil {
			_ = r.Contains(a)
		}
	})
}
