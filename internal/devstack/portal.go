package devstack

import (
	"encoding/json"
	"html/template"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"gatehouse/internal/idtoken"
)

// devPortal is a stand-in portal for make dev (/dev/portal): point a site's
// signInCallbackUrl at it and it verifies the ID token it receives (query or
// form_post) as a real portal must: the signature against the gateway's
// published JWKS (fetched over HTTP, as a portal would), the issuer, the
// expiry, and the jti only once. It shows the verified claims.
func devPortal(publicURL string) gin.HandlerFunc {
	var mu sync.Mutex
	seen := map[string]bool{}
	client := &http.Client{Timeout: 5 * time.Second}
	return func(c *gin.Context) {
		c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
		c.Header("Cache-Control", "no-store")
		c.Header("Referrer-Policy", "no-referrer")
		page := devPortalPage{Issuer: publicURL}
		status := http.StatusOK
		fail := func(msg string, err error) {
			status, page.Error = http.StatusUnauthorized, msg
			if err != nil {
				page.Error += ": " + err.Error()
			}
		}
		raw := c.Query("id_token")
		if c.Request.Method == http.MethodPost {
			raw = c.PostForm("id_token")
		}
		switch {
		case raw == "":
			fail("no id_token: sign in at "+publicURL+"/sign-in?site=<site> with this page as the site's signInCallbackUrl", nil)
		default:
			claims, err := verifyDevToken(client, publicURL, raw)
			if err != nil {
				fail("the token does not verify", err)
				break
			}
			mu.Lock()
			replay := seen[claims.ID]
			seen[claims.ID] = true
			mu.Unlock()
			if replay {
				fail("this token (jti "+claims.ID+") was used before", nil)
				break
			}
			b, _ := json.MarshalIndent(claims, "", "  ")
			page.Claims, page.Email, page.Method = string(b), claims.Email, c.Request.Method
		}
		c.Status(status)
		c.Header("Content-Type", "text/html; charset=utf-8")
		devPortalTemplate.Execute(c.Writer, page) //nolint:errcheck
	}
}

func verifyDevToken(client *http.Client, publicURL, raw string) (idtoken.Claims, error) {
	var c idtoken.Claims
	res, err := client.Get(publicURL + "/.well-known/jwks.json")
	if err != nil {
		return c, err
	}
	defer res.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(http.MaxBytesReader(nil, res.Body, 1<<20)).Decode(&set); err != nil {
		return c, err
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return c, err
	}
	if err := tok.Claims(set, &c); err != nil {
		return c, err
	}
	return c, c.ValidateWithLeeway(jwt.Expected{Issuer: publicURL, Time: time.Now()}, 30*time.Second)
}

type devPortalPage struct {
	Issuer, Error, Claims, Email, Method string
}

var devPortalTemplate = template.Must(template.New("portal").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo portal</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:1rem;white-space:pre-wrap}.error{color:#b00020}</style>
</head><body><h1>Demo portal</h1>
{{if .Error}}<p class="error" id="error">{{.Error}}</p>{{else}}
<p id="signed-in">Signed in as <strong>{{.Email}}</strong>: the ID token ({{.Method}}) verified against {{.Issuer}}/.well-known/jwks.json.</p>
<pre id="claims">{{.Claims}}</pre>{{end}}
</body></html>`))
