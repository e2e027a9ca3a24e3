package idtoken_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"gatehouse/internal/idtoken"
	"gatehouse/internal/payloadcodec"
	"gatehouse/internal/payloadcodec/codectest"
	"gatehouse/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func ring(t *testing.T, s string) payloadcodec.Ring {
	r, err := payloadcodec.ParseRing(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func kids(t *testing.T, is *idtoken.Issuer) []string {
	t.Helper()
	set, err := is.JWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range set.Keys {
		if !k.IsPublic() || k.Algorithm != "ES256" || k.Use != "sig" {
			t.Fatalf("published key %+v", k)
		}
		out = append(out, k.KeyID)
	}
	return out
}

func verify(t *testing.T, is *idtoken.Issuer, tok string, at time.Time) (idtoken.Claims, error) {
	t.Helper()
	set, err := is.JWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var c idtoken.Claims
	if err := parsed.Claims(set, &c); err != nil {
		return c, err
	}
	return c, c.Claims.ValidateWithLeeway(jwt.Expected{Issuer: "https://gatehouse.example", AnyAudience: jwt.Audience{"site1"}, Time: at}, 0)
}

// A key signs for one rotation period; its successor signs after it, and
// the old key stays published for a day, then disappears from the JWKS.
// Two gateways (two issuers) share the keys.
func TestRotation(t *testing.T) {
	db := testkit.Get(t).Store(t)
	const rotation = 7 * 24 * time.Hour
	// An hour into a rotation period.
	clk := &clock{t: time.Unix(0, 0).UTC().Add(3000*rotation + time.Hour)}
	newIssuer := func() *idtoken.Issuer {
		return &idtoken.Issuer{Store: db, Ring: ring(t, codectest.Keys), URL: "https://gatehouse.example", Rotation: rotation, Now: clk.now}
	}
	a, b := newIssuer(), newIssuer()
	p := idtoken.Person{SiteID: "site1", UserID: "u1", Email: "ann@example.test", Groups: []string{"g1"}, Role: "viewerRole",
		Language: "de", AMR: idtoken.AMRPassword, AuthTime: clk.t}
	tok1, jti, err := a.Sign(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	first := kids(t, b)
	if len(first) != 1 || kids(t, a)[0] != first[0] {
		t.Fatalf("two gateways publish %v and %v", kids(t, a), first)
	}
	c, err := verify(t, b, tok1, clk.t.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "u1" || c.Email != "ann@example.test" || c.AMR[0] != "pwd" || c.Groups[0] != "g1" || c.Role != "viewerRole" ||
		c.Language != "de" || c.ID != jti || c.AuthTime != clk.t.Unix() || c.Expiry.Time().Sub(c.IssuedAt.Time()) != 2*time.Minute {
		t.Fatalf("claims %+v", c)
	}
	if _, err := verify(t, b, tok1, clk.t.Add(3*time.Minute)); err == nil {
		t.Fatal("an expired token verified")
	}

	// An hour into the next period: a new key signs, the old one is still
	// published.
	clk.t = clk.t.Add(rotation)
	tok2, _, err := b.Sign(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	now := kids(t, a)
	if len(now) != 2 || now[1] != first[0] || now[0] == first[0] {
		t.Fatalf("after rotation %v (before %v)", now, first)
	}
	if _, err := verify(t, a, tok2, clk.t); err != nil {
		t.Fatal(err)
	}
	// A day after its period ended the old key is gone.
	clk.t = clk.t.Add(idtoken.Grace + time.Minute)
	if got := kids(t, a); len(got) != 1 || got[0] != now[0] {
		t.Fatalf("a day after rotation %v", got)
	}
	if _, _, err := b.Sign(context.Background(), p); err != nil {
		t.Fatal(err)
	}

	// Private keys are stored sealed.
	rows, err := db.SigningKeys(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if strings.Contains(r.PrivateJWE, `"d"`) || strings.Count(r.PrivateJWE, ".") != 4 || strings.Contains(r.PublicJWK, `"d"`) {
			t.Fatalf("stored key %+v", r)
		}
	}
	// An issuer whose ring does not hold the sealing key cannot sign.
	other := &idtoken.Issuer{Store: db, Ring: ring(t, "other:"+base64.StdEncoding.EncodeToString([]byte("another installation key: 32 byt"))), URL: "https://gatehouse.example",
		Rotation: rotation, Now: clk.now}
	if _, _, err := other.Sign(context.Background(), p); err == nil {
		t.Fatal("signed with a key it cannot open")
	}
}
