package registration_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gatehouse/gateway/registration"
	"gatehouse/internal/config"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

// setPasswordLink registers a person on a new site and returns the link of
// the set-password email.
func setPasswordLink(t *testing.T, app *testkit.App) string {
	t.Helper()
	siteID := gatewaytest.NewSite(t, app, nil, nil)
	addr := gatewaytest.Email("claim")
	gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Cla", "lastName", "Im")
	return gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Set your password")))
}

// The token is claimed before the password is hashed: concurrent posts of
// one link hash once, and a post with a spent or unknown token never hashes.
func TestSetPasswordClaimsBeforeHashing(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	tok := gatewaytest.Token(setPasswordLink(t, app))
	const pw = "claim first, hash after"
	hashes := registration.CountHashes(t, pw)

	const posts = 6
	codes := make(chan int, posts)
	var wg sync.WaitGroup
	for range posts {
		wg.Go(func() {
			codes <- gatewaytest.PostPage(t, app, "/set-password", "token", tok, "password", pw, "confirm", pw).Status
		})
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[http.StatusOK] != 1 || count[http.StatusGone] != posts-1 {
		t.Fatalf("answers %v: want one 200 and %d 410", count, posts-1)
	}
	if n := hashes.Load(); n != 1 {
		t.Fatalf("%d hashes for one token", n)
	}
	for _, token := range []string{tok, strings.Repeat("A", 43)} {
		r := gatewaytest.PostPage(t, app, "/set-password", "token", token, "password", pw, "confirm", pw)
		if r.Status != http.StatusGone {
			t.Fatalf("spent/unknown token: %d", r.Status)
		}
	}
	if n := hashes.Load(); n != 1 {
		t.Fatalf("a spent or unknown token cost a hash (%d hashes)", n)
	}
}

// The pages take small urlencoded forms only: multipart (whose file parts
// spill to disk) is 415 and a large body 413, before any token check.
func TestPageBodiesAreCapped(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("upload", "big.bin")
	fw.Write(bytes.Repeat([]byte("x"), 64<<10)) //nolint:errcheck
	mw.WriteField("token", strings.Repeat("A", 43))
	mw.Close()
	for _, path := range []string{"/set-password", "/magic-link"} {
		if r := gatewaytest.Send(t, "POST", app.URL+path, mw.FormDataContentType(), buf.Bytes()); r.Status != http.StatusUnsupportedMediaType {
			t.Errorf("%s multipart: %d %s", path, r.Status, r.Body)
		}
		big := gatewaytest.Form("token", strings.Repeat("A", 43), "password", strings.Repeat("p", 20<<10))
		if r := gatewaytest.Send(t, "POST", app.URL+path, "application/x-www-form-urlencoded", big); r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s 20 KiB form: %d", path, r.Status)
		}
		// Without a Content-Length (chunked) the cap holds while reading.
		req, _ := http.NewRequest("POST", app.URL+path, struct{ *bytes.Reader }{bytes.NewReader(big)})
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("%s chunked 20 KiB form: %d", path, res.StatusCode)
		}
	}
	// Every other route is capped at 1 MiB while reading too.
	req, _ := http.NewRequest("POST", app.URL+"/api/v1/events", struct{ *bytes.Reader }{bytes.NewReader(bytes.Repeat([]byte(" "), 2<<20))})
	req.Header.Set("Authorization", "Bearer "+testkit.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("2 MiB event: %d", res.StatusCode)
		}
	}
}

// statusSite is a site answering GET status checks, reachable only from
// allowed (nil: anywhere).
func statusSite(t *testing.T, app *testkit.App, allowed ...string) string {
	t.Helper()
	reg := map[string]any{"allowGetRequestStatusCheck": true, "sendErrorResponseAsJson": true}
	if allowed != nil {
		reg["allowedAddresses"] = allowed
	}
	return gatewaytest.NewSite(t, app, reg, nil)
}

// status does a GET status check with the given X-Forwarded-For lines and
// other headers.
func status(t *testing.T, app *testkit.App, siteID string, xff []string, headers ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", app.URL+"/webhooks/registration/"+siteID, nil)
	for _, l := range xff {
		req.Header.Add("X-Forwarded-For", l)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// The allowlist sees the client internal/clientip finds: X-Real-IP is not
// read, a forged left-most X-Forwarded-For hop is not believed, and every
// line of the header is read.
func TestAllowlistUsesTheResolvedClient(t *testing.T) {
	app := testkit.Get(t).StartApp(t, func(c *config.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	siteID := statusSite(t, app, "203.0.113.7")
	cases := []struct {
		name string
		xff  []string
		hdr  []string
		want int
	}{
		{"allowed client", []string{"203.0.113.7"}, nil, 200},
		{"X-Real-IP", nil, []string{"X-Real-IP: 203.0.113.7"}, 403},
		{"forged left-most hop", []string{"203.0.113.7, 198.51.100.1"}, nil, 403},
		{"second line is the proxy's", []string{"203.0.113.7", "198.51.100.1"}, nil, 403},
		{"second line names the client", []string{"198.51.100.1", "203.0.113.7"}, nil, 200},
	}
	for _, c := range cases {
		if res := status(t, app, siteID, c.xff, c.hdr...); res.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, res.StatusCode, c.want)
		}
	}
}

// A burst beyond the webhook limit of a site and address is 429 with
// Retry-After; other sites and addresses keep their own buckets.
func TestWebhookRateLimit(t *testing.T) {
	app := testkit.Get(t).StartApp(t, func(c *config.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		c.RateWebhook = config.Rate{PerMinute: 2, Burst: 3}
	})
	siteID, other := statusSite(t, app), statusSite(t, app)
	for i := range 3 {
		if res := status(t, app, siteID, nil); res.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
	}
	res := status(t, app, siteID, nil)
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("beyond the burst: %d", res.StatusCode)
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || s > 30 {
		t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
	}
	if res := status(t, app, other, nil); res.StatusCode != 200 {
		t.Fatalf("another site: %d", res.StatusCode)
	}
	if res := status(t, app, siteID, []string{"198.51.100.9"}); res.StatusCode != 200 {
		t.Fatalf("another address: %d", res.StatusCode)
	}
	// The WP Fusion webhook shares the limit.
	r := gatewaytest.Send(t, "POST", app.URL+"/webhooks/wpf/"+siteID+"?wpf_action=test&access_key="+gatewaytest.SiteKey, "", nil)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("wpf beyond the burst: %d %s", r.Status, r.Body)
	}
}

// Form posts to the pages are limited per address.
func TestPageRateLimit(t *testing.T) {
	app := testkit.Get(t).StartApp(t, func(c *config.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		c.RatePages = config.Rate{PerMinute: 1, Burst: 2}
	})
	post := func(path string, headers ...string) gatewaytest.Resp {
		return gatewaytest.PostPageWith(t, app, path, headers,
			"token", strings.Repeat("A", 43), "password", "whatever it is", "confirm", "whatever it is")
	}
	for _, path := range []string{"/set-password", "/magic-link"} {
		if r := post(path); r.Status != http.StatusGone {
			t.Fatalf("%s: %d", path, r.Status)
		}
	}
	r := post("/set-password", "Accept-Language: fr-CH, fr;q=0.9")
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" ||
		r.Body != "Trop de tentatives. Réessayez dans "+r.Header.Get("Retry-After")+" s.\n" {
		t.Fatalf("beyond the burst: %d %v %q", r.Status, r.Header, r.Body)
	}
	if r := post("/magic-link", "X-Forwarded-For: 198.51.100.9"); r.Status != http.StatusGone {
		t.Fatalf("another address: %d", r.Status)
	}
	// Showing a page is not limited.
	if r := gatewaytest.Send(t, "GET", app.URL+"/set-password?token="+strings.Repeat("A", 43), "", nil); r.Status != http.StatusGone {
		t.Fatalf("GET: %d", r.Status)
	}
}
