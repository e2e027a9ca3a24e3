// Package outbound is the HTTP client for user-supplied webhook URLs. It
// refuses to connect to addresses that are not on the public internet
// (loopback, private networks, cloud metadata endpoints, ...), so a webhook
// setting cannot be used to probe or attack our own network (SSRF).
package outbound

import (
	"errors"
	"net/netip"
)

// ErrForbiddenAddress is wrapped by every refused dial; the wrapping error
// names the address.
var ErrForbiddenAddress = errors.New("outbound: forbidden address")

// Non-global ranges, after IANA's IPv4 and IPv6 special-purpose address
// registries. Ranges IANA marks globally reachable but that no webhook
// receiver lives in (192.0.0.9, 2001::/23's anycast pieces) are refused too:
// refusing a valid target is an error message, allowing a bad one is a hole.
var forbidden4 = prefixes(
	"0.0.0.0/8",       // "this network", includes the unspecified address
	"10.0.0.0/8",      // RFC 1918
	"100.64.0.0/10",   // CGNAT shared address space
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, incl. cloud metadata 169.254.169.254
	"172.16.0.0/12",   // RFC 1918
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // TEST-NET-1
	"192.88.99.0/24",  // deprecated 6to4 relay anycast
	"192.168.0.0/16",  // RFC 1918
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // TEST-NET-2
	"203.0.113.0/24",  // TEST-NET-3
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, incl. broadcast 255.255.255.255
)

// IPv6 is checked the other way round: only global unicast 2000::/3 (and
// NAT64, below) can be public at all, and these are carved out of it.
var (
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	forbidden6     = prefixes(
		"2001::/23",     // IETF protocol assignments, incl. Teredo 2001::/32
		"2001:db8::/32", // documentation
		"3fff::/20",     // documentation (RFC 9637)
	)
	// These embed an IPv4 address that decides where the packet ends up.
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Allowed reports whether a connection to ip may be made: it is inside one of
// the allow prefixes, or it is a public (globally routable) address.
// IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
func Allowed(ip netip.Addr, allow []netip.Prefix) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.WithZone("").Unmap()
	for _, p := range allow {
		if p = normalize(p); p.IsValid() && p.Contains(ip) {
			return true
		}
	}
	return public(ip)
}

// normalize lets "::ffff:127.0.0.0/104" in the allow-list match 127.0.0.1,
// which Allowed has already unmapped.
func normalize(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked()
	}
	return p.Masked()
}

func public(ip netip.Addr) bool {
	if ip.Is4() {
		for _, p := range forbidden4 {
			if p.Contains(ip) {
				return false
			}
		}
		return true
	}
	if nat64.Contains(ip) {
		b := ip.As16()
		return public(netip.AddrFrom4([4]byte(b[12:16])))
	}
	if sixTo4.Contains(ip) {
		b := ip.As16()
		return public(netip.AddrFrom4([4]byte(b[2:6])))
	}
	if !globalUnicast6.Contains(ip) {
		return false
	}
	for _, p := range forbidden6 {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}
