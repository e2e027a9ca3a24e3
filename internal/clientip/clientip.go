// Package clientip finds the address of the client behind trusted reverse
// proxies. IP allowlists and rate limits key on it, so a client must not be
// able to choose it: only one configured header is read, every line of it,
// from the right, and the first hop that is not a trusted proxy is the
// client (everything left of it was written by the client itself).
package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// DefaultHeader is the header reverse proxies append the client's address to.
const DefaultHeader = "X-Forwarded-For"

// Resolver holds the proxies whose header is believed.
type Resolver struct {
	Header  string         // e.g. X-Forwarded-For; empty: DefaultHeader
	Trusted []netip.Prefix // GATEHOUSE_TRUSTED_PROXIES; none: the header is never read
}

// ClientIP is the connection's peer unless that peer is a trusted proxy;
// then the right-most hop of the header that is not a trusted proxy. When
// every hop is trusted, the left-most one; an unparsable hop ends the walk
// at the last good hop to its right (it could be anything the client sent).
func (r Resolver) ClientIP(remoteAddr string, h http.Header) netip.Addr {
	peer := parseHost(remoteAddr)
	if !peer.IsValid() || !r.trusted(peer) {
		return peer
	}
	name := r.Header
	if name == "" {
		name = DefaultHeader
	}
	var hops []string
	for _, line := range h.Values(name) { // all lines: a proxy may add its own
		hops = append(hops, strings.Split(line, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseHost(strings.TrimSpace(hops[i]))
		if !a.IsValid() {
			return client
		}
		client = a
		if !r.trusted(a) {
			return a
		}
	}
	return client
}

func (r Resolver) trusted(a netip.Addr) bool {
	for _, p := range r.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHost reads "1.2.3.4", "1.2.3.4:5", "[::1]:5" or "::1"; IPv4-mapped
// IPv6 addresses are unmapped so one client has one key.
func parseHost(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap()
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap()
		}
	}
	return netip.Addr{}
}
