package outbound

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// hits counts requests, so a test can tell "refused" from "reached".
func server(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

func TestLoopbackRefusedWithoutAllowList(t *testing.T) {
	srv, hits := server(t, nil)
	_, err := get(t, NewClient(Options{}), srv.URL)
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("want ErrForbiddenAddress, got %v", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("error does not name the address: %v", err)
	}
	if hits.Load() != 0 {
		t.Fatal("the server was reached")
	}
}

func TestLoopbackReachedWhenAllowed(t *testing.T) {
	srv, hits := server(t, nil)
	resp, err := get(t, NewClient(Options{Allow: loopback[:1]}), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || hits.Load() != 1 {
		t.Fatalf("status %d, %d hits", resp.StatusCode, hits.Load())
	}
}

// TestHostnameResolvingToLoopbackRefused: the check is on the address
// actually dialed, not on the URL's host.
func TestHostnameResolvingToLoopbackRefused(t *testing.T) {
	addrs, err := net.DefaultResolver.LookupHost(context.Background(), "localhost")
	if err != nil || len(addrs) == 0 {
		t.Skipf("localhost does not resolve here: %v", err)
	}
	srv, hits := server(t, nil)
	u, _ := url.Parse(srv.URL)
	u.Host = net.JoinHostPort("localhost", u.Port())

	_, err = get(t, NewClient(Options{}), u.String())
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("localhost: want ErrForbiddenAddress, got %v", err)
	}
	if hits.Load() != 0 {
		t.Fatal("the server was reached")
	}

	// The same name works once loopback is allowed, so it was the guard,
	// not name resolution, that refused it.
	if _, err := get(t, NewClient(Options{Allow: loopback}), u.String()); err != nil {
		t.Fatalf("localhost with loopback allowed: %v", err)
	}
	if hits.Load() != 1 {
		t.Fatalf("%d hits", hits.Load())
	}
}

func TestIPv6LoopbackRefused(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	if _, err := get(t, NewClient(Options{Allow: loopback[:1]}), srv.URL); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("[::1] with only 127/8 allowed: want ErrForbiddenAddress, got %v", err)
	}
	if _, err := get(t, NewClient(Options{Allow: loopback}), srv.URL); err != nil {
		t.Fatalf("[::1] allowed: %v", err)
	}
	if hits.Load() != 1 {
		t.Fatalf("%d hits", hits.Load())
	}
}

func TestRedirectsNotFollowed(t *testing.T) {
	target, targetHits := server(t, nil)
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusFound)
	})
	resp, err := get(t, NewClient(Options{Allow: loopback}), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want the 302 itself", resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); !strings.HasSuffix(loc, "/elsewhere") {
		t.Errorf("Location %q", loc)
	}
	if targetHits.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
}

func TestUserAgent(t *testing.T) {
	got := make(chan string, 2)
	srv, _ := server(t, func(_ http.ResponseWriter, r *http.Request) { got <- r.UserAgent() })
	c := NewClient(Options{Allow: loopback, UserAgent: "gatehouse-webhooks/1"})
	if _, err := get(t, c, srv.URL); err != nil {
		t.Fatal(err)
	}
	if ua := <-got; ua != "gatehouse-webhooks/1" {
		t.Errorf("User-Agent %q", ua)
	}
	// A caller's own User-Agent wins, and its request is left untouched.
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("User-Agent", "custom")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ua := <-got; ua != "custom" {
		t.Errorf("User-Agent %q", ua)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL, nil)
	if resp, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	<-got
	if _, set := req.Header["User-Agent"]; set {
		t.Error("the caller's request was modified")
	}
	c.CloseIdleConnections()
}

func TestTransportSettings(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	for _, o := range []Options{{}, {UserAgent: "x"}, {MaxIdleConnsPerHost: 8}} {
		c := NewClient(o)
		var tr *http.Transport
		switch rt := c.Transport.(type) {
		case *http.Transport:
			tr = rt
		case *userAgent:
			tr = rt.next
		default:
			t.Fatalf("transport %T", c.Transport)
		}
		if tr.Proxy != nil {
			t.Error("proxy from environment is used")
		}
		if tr.TLSClientConfig == nil || tr.TLSClientConfig.MinVersion != tls.VersionTLS12 {
			t.Error("TLS below 1.2 allowed")
		}
		want := o.MaxIdleConnsPerHost
		if want == 0 {
			want = 64
		}
		if tr.MaxIdleConnsPerHost != want || tr.DisableKeepAlives {
			t.Errorf("MaxIdleConnsPerHost %d keep-alives off %v", tr.MaxIdleConnsPerHost, tr.DisableKeepAlives)
		}
		if c.Timeout != 0 {
			t.Error("client timeout set; callers use contexts")
		}
	}
}

// TestGuard calls the dial check directly with addresses the test cannot
// really connect to.
func TestGuard(t *testing.T) {
	g := guard(nil)
	for addr, ok := range map[string]bool{
		"8.8.8.8:443":                 true,
		"[2001:4860:4860::8888]:80":   true,
		"127.0.0.1:80":                false,
		"[::ffff:127.0.0.1]:80":       false,
		"[::ffff:169.254.169.254]:80": false,
		"169.254.169.254:80":          false,
		"[fe80::1%eth0]:80":           false,
		"localhost:80":                false, // not an IP: never judged as public
		"":                            false,
	} {
		err := g(context.Background(), "tcp", addr, nil)
		if ok && err != nil {
			t.Errorf("%q refused: %v", addr, err)
		}
		if !ok && !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%q: want ErrForbiddenAddress, got %v", addr, err)
		}
	}
	// The message shows the unmapped address an operator would allow-list.
	err := g(context.Background(), "tcp6", "[::ffff:10.1.2.3]:80", nil)
	if err == nil || !strings.Contains(err.Error(), " 10.1.2.3:") {
		t.Errorf("message %v", err)
	}
}
