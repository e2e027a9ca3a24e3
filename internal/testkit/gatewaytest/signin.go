package gatewaytest

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"gatehouse/internal/idtoken"
	"gatehouse/internal/testkit"
)

// VerifyIDToken checks an ID token as a portal does: the signature against
// the keys at /.well-known/jwks.json (go-jose), the issuer, the audience
// (the site) and the expiry. It returns the claims.
func VerifyIDToken(t *testing.T, app *testkit.App, token, siteID string) idtoken.Claims {
	t.Helper()
	r := Send(t, "GET", app.URL+"/.well-known/jwks.json", "", nil)
	var set jose.JSONWebKeySet
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &set) != nil || len(set.Keys) == 0 {
		t.Fatalf("jwks: %d %s", r.Status, r.Body)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() {
			t.Fatalf("the JWKS publishes a private key: %s", r.Body)
		}
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("parse %q: %v", token, err)
	}
	var c idtoken.Claims
	if err := tok.Claims(set, &c); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if err := c.Claims.ValidateWithLeeway(jwt.Expected{Issuer: app.Config.PublicURL, AnyAudience: jwt.Audience{siteID},
		Time: time.Now()}, 0); err != nil {
		t.Fatalf("claims %+v: %v", c, err)
	}
	if c.Expiry.Time().Sub(c.IssuedAt.Time()) != idtoken.TTL || c.ID == "" || tok.Headers[0].KeyID == "" {
		t.Fatalf("claims %+v", c)
	}
	return c
}

// IDTokenIn returns the id_token of a redirect's Location (query mode).
func IDTokenIn(t *testing.T, location string) string {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil || u.Query().Get("id_token") == "" {
		t.Fatalf("no id_token in %q", location)
	}
	return u.Query().Get("id_token")
}
