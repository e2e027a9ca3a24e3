package devstack

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"gatehouse/internal/idtoken"
)

// The demo portal accepts a token signed by a published key once, and
// refuses a replay and a token from another issuer.
func TestDevPortal(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk := jose.JSONWebKey{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mux.HandleFunc("/.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}}) //nolint:errcheck
	})
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/dev/portal", devPortal(srv.URL))
	mux.Handle("/dev/portal", r)

	sign := func(iss string) string {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		tok, err := jwt.Signed(signer).Claims(idtoken.Claims{Claims: jwt.Claims{Issuer: iss, Subject: "u1", ID: rand.Text(),
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(idtoken.TTL))}, Email: "ann@example.test"}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	post := func(tok string) (int, string) {
		res, err := http.PostForm(srv.URL+"/dev/portal", url.Values{"id_token": {tok}})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	tok := sign(srv.URL)
	if code, body := post(tok); code != 200 || !strings.Contains(body, "ann@example.test") {
		t.Fatalf("valid token: %d %s", code, body)
	}
	if code, body := post(tok); code != 401 || !strings.Contains(body, "used before") {
		t.Fatalf("replay: %d %s", code, body)
	}
	if code, _ := post(sign("https://elsewhere.example")); code != 401 {
		t.Fatalf("another issuer: %d", code)
	}
}
