// Package iprules parses and matches allowedAddresses: single IPs, CIDRs and
// "first-last" ranges, IPv4 and IPv6. An empty list allows everyone.
package iprules

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Rule is one allowed address range, inclusive.
type Rule struct {
	first, last netip.Addr
}

// ParseRule accepts "192.168.1.1", "192.168.1.0/24", "192.58.252.1-192.58.252.25"
// and the IPv6 forms of each.
func ParseRule(s string) (Rule, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Rule{}, errors.New("empty address rule")
	}
	if a, b, ok := strings.Cut(s, "-"); ok {
		first, err1 := netip.ParseAddr(strings.TrimSpace(a))
		last, err2 := netip.ParseAddr(strings.TrimSpace(b))
		if err1 != nil || err2 != nil {
			return Rule{}, fmt.Errorf("%q is not a range of two IP addresses", s)
		}
		first, last = first.Unmap(), last.Unmap()
		if first.Is4() != last.Is4() {
			return Rule{}, fmt.Errorf("%q mixes IPv4 and IPv6", s)
		}
		if last.Less(first) {
			return Rule{}, fmt.Errorf("%q ends before it starts", s)
		}
		return Rule{first, last}, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return Rule{}, fmt.Errorf("%q is not a CIDR", s)
		}
		p = p.Masked()
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return Rule{p.Addr(), lastOf(p)}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return Rule{}, fmt.Errorf("%q is not an IP address, CIDR or range", s)
	}
	a = a.Unmap()
	return Rule{a, a}, nil
}

func lastOf(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// Contains reports whether a lies in the rule.
func (r Rule) Contains(a netip.Addr) bool {
	a = a.Unmap()
	return a.Is4() == r.first.Is4() && !a.Less(r.first) && !r.last.Less(a)
}

// List is a parsed allowedAddresses setting.
type List []Rule

// Parse parses every rule; the error names the first bad one.
func Parse(rules []string) (List, error) {
	out := make(List, 0, len(rules))
	for _, s := range rules {
		r, err := ParseRule(s)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Allows reports whether a may call: an empty list allows everyone.
func (l List) Allows(a netip.Addr) bool {
	if len(l) == 0 {
		return true
	}
	for _, r := range l {
		if r.Contains(a) {
			return true
		}
	}
	return false
}
