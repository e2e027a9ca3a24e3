package outbound

import (
	"net/netip"
	"testing"
)

func TestAllowedWithoutAllowList(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		want bool
	}{
		// The ranges SSRF goes after.
		{"10.0.0.1", false},
		{"10.255.255.255", false},
		{"192.168.1.1", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"169.254.169.254", false}, // cloud metadata
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		{"127.0.0.1", false},
		{"127.1.2.3", false},
		{"::1", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		// Unspecified, multicast, broadcast, documentation, benchmarking.
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"::", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"ff02::1", false},
		{"ff0e::1", false},
		{"255.255.255.255", false},
		{"240.0.0.1", false},
		{"192.0.2.1", false},
		{"198.51.100.7", false},
		{"203.0.113.9", false},
		{"198.18.0.1", false},
		{"198.19.255.255", false},
		{"192.0.0.8", false},
		{"2001:db8::1", false},
		{"3fff::1", false},
		{"fec0::1", false},     // deprecated site-local
		{"100::1", false},      // discard-only
		{"::127.0.0.1", false}, // deprecated IPv4-compatible
		{"2001::1", false},     // Teredo
		{"5f00::1", false},     // SRv6 SIDs, outside 2000::/3
		{"64:ff9b:1::1", false},
		// NAT64 and 6to4 are judged by the IPv4 address inside.
		{"64:ff9b::a00:1", false},    // 10.0.0.1
		{"64:ff9b::7f00:1", false},   // 127.0.0.1
		{"64:ff9b::808:808", true},   // 8.8.8.8
		{"2002:a9fe:a9fe::1", false}, // 169.254.169.254
		{"2002:808:808::1", true},    // 8.8.8.8
		// Public.
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"172.15.255.255", true}, // just below 172.16/12
		{"172.32.0.0", true},     // just above
		{"100.63.255.255", true},
		{"100.128.0.0", true},
		{"192.169.0.1", true},
		{"2001:4860:4860::8888", true},
		{"2606:4700:4700::1111", true},
		{"::ffff:8.8.8.8", true},
	} {
		if got := Allowed(netip.MustParseAddr(tc.ip), nil); got != tc.want {
			t.Errorf("Allowed(%s) = %v, want %v", tc.ip, got, tc.want)
		}
	}
	if Allowed(netip.Addr{}, nil) {
		t.Error("the zero Addr is allowed")
	}
}

func TestAllowedWithAllowList(t *testing.T) {
	allow := []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("10.20.0.0/16"),
		netip.MustParsePrefix("::ffff:192.168.7.0/120"), // written mapped, still IPv4
		{}, // an invalid entry must not allow anything
	}
	for _, tc := range []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", true},
		{"127.9.9.9", true},
		{"::ffff:127.0.0.1", true},
		{"::1", true},
		{"10.20.3.4", true},
		{"10.21.0.1", false},
		{"192.168.7.42", true},
		{"::ffff:192.168.7.42", true},
		{"192.168.8.1", false},
		{"169.254.169.254", false},
		{"fe80::1", false},
		{"8.8.8.8", true},
	} {
		if got := Allowed(netip.MustParseAddr(tc.ip), allow); got != tc.want {
			t.Errorf("Allowed(%s, dev list) = %v, want %v", tc.ip, got, tc.want)
		}
	}
}
