package outbound

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Options configures NewClient.
type Options struct {
	// Allow lists non-public networks that may be reached anyway, e.g.
	// loopback in development (GATEHOUSE_OUTBOUND_ALLOW_CIDRS).
	Allow []netip.Prefix
	// MaxIdleConnsPerHost defaults to 64: webhook bursts go to few hosts,
	// and net/http's default of 2 would open and close connections
	// constantly.
	MaxIdleConnsPerHost int
	// UserAgent is set on requests that have none; empty keeps Go's.
	UserAgent string
	// RootCAs verifies receivers' certificates; nil means the system roots.
	RootCAs *x509.CertPool
	// Certificates are client certificates offered to receivers (mTLS).
	Certificates []tls.Certificate
}

const (
	dialTimeout                = 5 * time.Second
	defaultMaxIdleConnsPerHost = 64
)

// NewClient returns a client for webhook deliveries. It has no overall
// timeout: callers bound each request with its context.
//
// Every connection's address is checked after DNS resolution, at dial
// time, so a name that resolves to a public address when the URL is saved
// and to 127.0.0.1 later (DNS rebinding) is still refused. Redirects are
// not followed, since a redirect is just another user-chosen URL and a
// receiver that moved should have its setting changed; callers see the 3xx.
func NewClient(o Options) *http.Client {
	perHost := o.MaxIdleConnsPerHost
	if perHost <= 0 {
		perHost = defaultMaxIdleConnsPerHost
	}
	dialer := &net.Dialer{
		Timeout:        dialTimeout,
		KeepAlive:      30 * time.Second,
		ControlContext: guard(o.Allow),
	}
	tr := &http.Transport{
		// An HTTP(S)_PROXY from the environment would make the proxy's
		// address the one checked, not the target's.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: o.RootCAs, Certificates: o.Certificates},
		TLSHandshakeTimeout:    10 * time.Second,
		MaxIdleConns:           16 * perHost,
		MaxIdleConnsPerHost:    perHost,
		IdleConnTimeout:        90 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10, // receivers are untrusted; we only need the status
	}
	var rt http.RoundTripper = tr
	if o.UserAgent != "" {
		rt = &userAgent{next: tr, ua: o.UserAgent}
	}
	return &http.Client{
		Transport: rt,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// guard is a net.Dialer ControlContext: it runs on the resolved address of
// every connection attempt, just before connect(2).
func guard(allow []netip.Prefix) func(ctx context.Context, network, address string, c syscall.RawConn) error {
	return func(_ context.Context, network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			// Not an IP: nothing we can judge, so nothing we may dial.
			return fmt.Errorf("%w %q on %s: not an IP address", ErrForbiddenAddress, address, network)
		}
		if !Allowed(ap.Addr(), allow) {
			return fmt.Errorf("%w %s: not a public address and not in the outbound allow-list (GATEHOUSE_OUTBOUND_ALLOW_CIDRS)", ErrForbiddenAddress, ap.Addr().Unmap())
		}
		return nil
	}
}

type userAgent struct {
	next *http.Transport
	ua   string
}

func (u *userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	// Present but empty is how net/http callers ask for no User-Agent.
	if _, set := r.Header["User-Agent"]; set {
		return u.next.RoundTrip(r)
	}
	// A RoundTripper must not modify the caller's request.
	r = r.Clone(r.Context())
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	r.Header.Set("User-Agent", u.ua)
	return u.next.RoundTrip(r)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport through the wrapper.
func (u *userAgent) CloseIdleConnections() { u.next.CloseIdleConnections() }
