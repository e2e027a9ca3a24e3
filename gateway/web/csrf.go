package web

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/pagetext"
)

// CSRF protection for the pages' forms: a double-submit token. The GET
// that shows a form sets a random token in an HttpOnly, SameSite=Lax
// cookie (when it has none) and the form carries it in a hidden field
// (CSRFField, value from CSRFToken); a POST whose field does not match its
// cookie is refused with 403 before the handler runs. Another site can
// neither read the cookie nor set it, so it cannot forge the pair.
const (
	CSRFField  = "csrf"
	csrfCookie = "gatehouse_csrf"
	csrfKey    = "gatehouse.csrf"
)

// CSRF checks and issues the token; on POST it runs after PageForm, which
// parsed the form.
func (d *Deps) CSRF() gin.HandlerFunc {
	secure := strings.HasPrefix(d.Config.PublicURL, "https://")
	return func(c *gin.Context) {
		tok := ""
		if ck, err := c.Request.Cookie(csrfCookie); err == nil && len(ck.Value) == 26 {
			tok = ck.Value
		}
		if c.Request.Method == http.MethodPost {
			sent := c.Request.PostForm.Get(CSRFField)
			if tok == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(tok)) != 1 {
				pageError(c, http.StatusForbidden, pagetext.FormExpired)
				return
			}
		}
		if tok == "" {
			tok = rand.Text()
			http.SetCookie(c.Writer, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true, Secure: secure,
				SameSite: http.SameSiteLaxMode})
		}
		c.Set(csrfKey, tok)
		c.Next()
	}
}

// CSRFToken is the token a page's forms carry.
func CSRFToken(c *gin.Context) string { return c.GetString(csrfKey) }

// PageHeaders are the security headers of every HTML page and its errors:
// no framing, no scripts, forms only to Gatehouse. A page that needs more
// (a form target elsewhere, the form_post script) sets its own CSP.
func PageHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", DefaultCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer") // tokens travel in page URLs
		h.Set("Cache-Control", "no-store")
		c.Next()
	}
}

// DefaultCSP is the pages' Content-Security-Policy.
const DefaultCSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
