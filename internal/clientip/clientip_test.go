package clientip

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	r := Resolver{Trusted: proxies}
	for _, c := range []struct {
		name   string
		remote string
		header map[string][]string
		want   string
	}{
		{"untrusted peer: header ignored", "203.0.113.9:4000", map[string][]string{"X-Forwarded-For": {"10.1.1.1"}}, "203.0.113.9"},
		{"trusted peer, one hop", "10.0.0.2:4000", map[string][]string{"X-Forwarded-For": {"198.51.100.7"}}, "198.51.100.7"},
		{"client prepends a forged hop", "10.0.0.2:4000", map[string][]string{"X-Forwarded-For": {"127.0.0.1, 198.51.100.7"}}, "198.51.100.7"},
		{"second header line is read", "10.0.0.2:4000", map[string][]string{"X-Forwarded-For": {"127.0.0.1", "198.51.100.7, 10.0.0.3"}}, "198.51.100.7"},
		{"X-Real-IP is not believed", "10.0.0.2:4000", map[string][]string{"X-Real-Ip": {"127.0.0.1"}}, "10.0.0.2"},
		{"all hops trusted", "10.0.0.2:4000", map[string][]string{"X-Forwarded-For": {"10.9.9.9, 10.0.0.3"}}, "10.9.9.9"},
		{"garbage hop stops the walk", "10.0.0.2:4000", map[string][]string{"X-Forwarded-For": {"1.1.1.1, junk, 10.0.0.3"}}, "10.0.0.3"},
		{"IPv6 proxy, mapped client", "[::1]:4000", map[string][]string{"X-Forwarded-For": {"::ffff:198.51.100.7"}}, "198.51.100.7"},
		{"no header", "10.0.0.2:4000", nil, "10.0.0.2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for k, vs := range c.header {
				for _, v := range vs {
					h.Add(k, v)
				}
			}
			if got := r.ClientIP(c.remote, h).String(); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
	noProxies := Resolver{}
	if got := noProxies.ClientIP("10.0.0.2:1", http.Header{"X-Forwarded-For": {"1.2.3.4"}}).String(); got != "10.0.0.2" {
		t.Fatalf("without trusted proxies the header was read: %s", got)
	}
	custom := Resolver{Header: "CF-Connecting-IP", Trusted: proxies}
	h := http.Header{"X-Forwarded-For": {"1.1.1.1"}}
	h.Set("CF-Connecting-IP", "198.51.100.8")
	if got := custom.ClientIP("10.0.0.2:1", h).String(); got != "198.51.100.8" {
		t.Fatalf("configured header: %s", got)
	}
}

func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.2:1", "1.2.3.4, 10.0.0.3")
	f.Add("[::1]:1", "junk,,::1")
	r := Resolver{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		got := r.ClientIP(remote, http.Header{"X-Forwarded-For": {xff}})
		peer := parseHost(remote)
		if peer.IsValid() && !r.trusted(peer) && got != peer {
			t.Fatalf("untrusted peer %s resolved to %s", peer, got)
		}
	})
}
