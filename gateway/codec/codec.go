// Package codec is the gateway's codec server: Temporal's codec protocol
// (POST /codec/encode and /codec/decode, {"payloads":[...]}) over the
// payload key ring, so the Temporal Web UI shows operators the payloads that
// Temporal only ever stores encrypted.
//
// Only admins may call it. A script sends Authorization: Bearer
// $GATEHOUSE_ADMIN_TOKEN. The Web UI cannot send that header (it passes
// only its own OIDC access token, and only to https endpoints), but it can
// send cookies (codec.includeCredentials): the operator signs in once at
// /codec/session with the admin token, which sets a short-lived HttpOnly
// cookie scoped to /codec. Cross-origin calls are allowed from the UI's
// origin (GATEHOUSE_UI_ORIGIN) only.
package codec

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/converter"

	"gatehouse/gateway/web"
	"gatehouse/internal/payloadcodec"
	"gatehouse/internal/ratelimit"
)

const (
	// CookieName holds the operator's codec session.
	CookieName = "gatehouse_codec"
	// SessionTTL bounds a session: sign in again after a working day.
	SessionTTL = 8 * time.Hour
	maxBody    = 8 << 20 // a batch of history payloads; Temporal caps one at 2 MiB
)

type server struct {
	*web.Deps
	handler http.Handler
	signIn  *ratelimit.Limiter
}

// Mount adds the codec routes when payload keys are configured.
func Mount(r *gin.Engine, d *web.Deps) error {
	if len(d.Config.Temporal.PayloadKeys) == 0 {
		return nil
	}
	c, err := payloadcodec.New(d.Config.Temporal.PayloadKeys)
	if err != nil {
		return err
	}
	s := &server{Deps: d, handler: converter.NewPayloadCodecHTTPHandler(c), signIn: ratelimit.New(10, 5)}
	for _, p := range []string{"/codec/encode", "/codec/decode"} {
		r.OPTIONS(p, s.preflight)
		r.POST(p, s.cors, s.requireOperator, s.convert)
	}
	r.GET("/codec/session", s.sessionPage)
	r.POST("/codec/session", s.startSession)
	r.POST("/codec/session/end", s.endSession)
	return nil
}

// allowedOrigin reports whether origin is the configured UI's.
func (s *server) allowedOrigin(origin string) bool {
	return origin != "" && s.Config.UIOrigin != "" && origin == s.Config.UIOrigin
}

// preflight answers the browser's CORS check for the UI's origin only.
func (s *server) preflight(c *gin.Context) {
	c.Header("Vary", "Origin")
	if !s.allowedOrigin(c.GetHeader("Origin")) {
		web.Abort(c, http.StatusForbidden, "origin_not_allowed", "only GATEHOUSE_UI_ORIGIN may call the codec server from a browser")
		return
	}
	s.corsHeaders(c)
	c.Header("Access-Control-Allow-Methods", "POST")
	c.Header("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
	c.Header("Access-Control-Max-Age", "600")
	c.AbortWithStatus(http.StatusNoContent)
}

func (s *server) corsHeaders(c *gin.Context) {
	c.Header("Access-Control-Allow-Origin", s.Config.UIOrigin)
	c.Header("Access-Control-Allow-Credentials", "true")
}

// cors lets the UI read the answer; any other origin's browser cannot.
func (s *server) cors(c *gin.Context) {
	c.Header("Vary", "Origin")
	if s.allowedOrigin(c.GetHeader("Origin")) {
		s.corsHeaders(c)
	}
	c.Next()
}

// requireOperator accepts the admin token or a codec session cookie. The
// cookie counts only from the UI's origin or the gateway's own pages.
func (s *server) requireOperator(c *gin.Context) {
	if s.IsAdmin(web.Bearer(c.GetHeader("Authorization"))) {
		c.Next()
		return
	}
	origin := c.GetHeader("Origin")
	if cookie, err := c.Cookie(CookieName); err == nil && s.validSession(cookie, time.Now()) &&
		(origin == "" || s.allowedOrigin(origin) || origin == publicOrigin(s.Config.PublicURL)) {
		c.Next()
		return
	}
	c.Header("WWW-Authenticate", `Bearer realm="gatehouse"`)
	web.Abort(c, http.StatusUnauthorized, "unauthorized",
		"Authorization: Bearer <GATEHOUSE_ADMIN_TOKEN> or a codec session (sign in at /codec/session) is required")
}

func (s *server) convert(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	c.Header("Cache-Control", "no-store")
	s.handler.ServeHTTP(c.Writer, c.Request)
}

func publicOrigin(publicURL string) string {
	scheme, rest, _ := strings.Cut(publicURL, "://")
	host, _, _ := strings.Cut(rest, "/")
	return scheme + "://" + host
}

// A session cookie is expiry ‖ HMAC(key derived from the admin token,
// expiry): nothing to store, and rotating the admin token ends every session.
func (s *server) sessionKey() []byte {
	m := hmac.New(sha256.New, []byte(s.Config.AdminToken))
	m.Write([]byte("gatehouse codec session v1"))
	return m.Sum(nil)
}

func (s *server) newSession(now time.Time) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(now.Add(SessionTTL).Unix()))
	m := hmac.New(sha256.New, s.sessionKey())
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(m.Sum(b))
}

func (s *server) validSession(v string, now time.Time) bool {
	_, ok := s.sessionExpiry(v, now)
	return ok
}

// sessionExpiry checks a session cookie and says when it ends.
func (s *server) sessionExpiry(v string, now time.Time) (time.Time, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(raw) != 8+sha256.Size || s.Config.AdminToken == "" {
		return time.Time{}, false
	}
	m := hmac.New(sha256.New, s.sessionKey())
	m.Write(raw[:8])
	expires := time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
	return expires, hmac.Equal(m.Sum(nil), raw[8:]) && now.Before(expires) && expires.Sub(now) <= SessionTTL
}

func (s *server) setCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: CookieName, Value: value, Path: "/codec", MaxAge: maxAge,
		HttpOnly: true, Secure: strings.HasPrefix(s.Config.PublicURL, "https://"),
		// Strict: sent from the UI when it is on the same site as the
		// gateway (another port of the same host counts), never from others.
		SameSite: http.SameSiteStrictMode,
	})
}

var page = template.Must(template.New("session").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gatehouse codec session</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:sans-serif;max-width:34em;margin:3em auto">
<h1>Decode payloads in the Temporal UI</h1>
{{if .Message}}<p role="status">{{.Message}}</p>{{end}}
{{if .SignedIn}}
<p>This browser may decode Temporal payloads until {{.Until}}.{{if .UI}} Back to the <a href="{{.UI}}">Temporal UI</a>.{{end}}</p>
<form method="post" action="/codec/session/end"><button>Sign out</button></form>
{{else}}
<p>Temporal stores Gatehouse's payloads encrypted. Sign in with the admin token to let this browser's Temporal UI show them.</p>
<form method="post" action="/codec/session">
<label>Admin token <input type="password" name="token" autocomplete="current-password" required></label>
<button>Sign in</button></form>
{{end}}
</body></html>`))

type pageData struct {
	SignedIn bool
	Until    string
	UI       string
	Message  string
}

func (s *server) render(c *gin.Context, status int, d pageData) {
	d.UI = s.Config.UIOrigin
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'")
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	_ = page.Execute(c.Writer, d)
}

func (s *server) sessionPage(c *gin.Context) {
	v, _ := c.Cookie(CookieName)
	if until, ok := s.sessionExpiry(v, time.Now()); ok {
		s.render(c, http.StatusOK, pageData{SignedIn: true, Until: until.UTC().Format(time.RFC1123)})
		return
	}
	s.render(c, http.StatusOK, pageData{})
}

func (s *server) startSession(c *gin.Context) {
	if ok, wait := s.signIn.Allow(c.ClientIP(), time.Now()); !ok {
		c.Header("Retry-After", strconvSeconds(wait))
		s.render(c, http.StatusTooManyRequests, pageData{Message: "Too many attempts; try again in a minute."})
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 4<<10)
	if !s.IsAdmin(strings.TrimSpace(c.PostForm("token"))) {
		s.render(c, http.StatusUnauthorized, pageData{Message: "That is not the admin token."})
		return
	}
	now := time.Now()
	s.setCookie(c, s.newSession(now), int(SessionTTL.Seconds()))
	s.render(c, http.StatusOK, pageData{SignedIn: true, Until: now.Add(SessionTTL).UTC().Format(time.RFC1123)})
}

func (s *server) endSession(c *gin.Context) {
	s.setCookie(c, "", -1)
	s.render(c, http.StatusOK, pageData{Message: "Signed out."})
}

func strconvSeconds(d time.Duration) string {
	return strconv.Itoa(int(d.Seconds()) + 1)
}
