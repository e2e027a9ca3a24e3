// Package approval serves the decision links Gatehouse emails to
// approvers: GET /approvals/links/{token} shows a confirmation page (mail
// scanners open links, so a GET never decides), POST decides. A token is
// random, stored only as its SHA-256, bound to one approver, one approval
// and one decision, expiring, and spent with the vote.
package approval

import (
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/activities"
	"gatehouse/gateway/admin"
	"gatehouse/gateway/web"
	"gatehouse/internal/domain"
	"gatehouse/internal/portal"
	"gatehouse/internal/ratelimit"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

type server struct {
	*web.Deps
	limit *ratelimit.Limiter
}

// Mount adds the link routes to r.
func Mount(r *gin.Engine, d *web.Deps) {
	s := &server{Deps: d, limit: ratelimit.New(60, 20)}
	// Pages: security headers, small forms, a CSRF token on the form.
	r.GET("/approvals/links/:token", s.limited, web.PageHeaders(), web.PageForm(), d.CSRF(), s.confirm)
	r.POST("/approvals/links/:token", s.limited, web.PageHeaders(), web.PageForm(), d.CSRF(), s.decide)
}

func (s *server) limited(c *gin.Context) {
	if ok, wait := s.limit.Allow(c.ClientIP(), time.Now()); !ok {
		c.Header("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		c.AbortWithStatus(http.StatusTooManyRequests)
	}
}

type linkPage struct {
	Title, Message, Decision, Verb, Approver, ApprovalID, Kind, Where, PortalID, Request string
	CSRF                                                                                 string
	Form                                                                                 bool
}

var page = template.Must(template.New("link").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}pre{white-space:pre-wrap;background:#f4f4f4;padding:.5rem}button{font-size:1.1rem;padding:.5rem 1.5rem}</style>
</head><body><h1>{{.Title}}</h1>
{{if .Message}}<p id="message">{{.Message}}</p>{{end}}
{{if .Form}}<p>{{.Approver}}, you are about to <strong>{{.Verb}}</strong> this {{.Kind}} on {{.Where}} {{.PortalID}}.</p>
<pre>{{.Request}}</pre>
<form method="post"><input type="hidden" name="csrf" value="{{.CSRF}}"><button type="submit" id="confirm">{{.Verb}}</button></form>{{end}}
</body></html>`))

func render(c *gin.Context, status int, p linkPage) {
	p.CSRF = web.CSRFToken(c)
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	c.Header("Referrer-Policy", "no-referrer") // the token is in the URL
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	if err := page.Execute(c.Writer, p); err != nil {
		c.Error(err) //nolint:errcheck
	}
}

// gone is one page for unknown, expired and used links: nothing tells a
// guesser which it hit.
func gone(c *gin.Context) {
	render(c, http.StatusGone, linkPage{Title: "Link cannot be used", Message: "This link is unknown, expired or already used."})
}

// link reads a usable link, or answers and returns false.
func (s *server) link(c *gin.Context) (store.ApprovalLink, bool) {
	tok := c.Param("token")
	if len(tok) < 40 || len(tok) > 64 || strings.ContainsFunc(tok, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		gone(c)
		return store.ApprovalLink{}, false
	}
	l, err := s.Store.ApprovalLinkByHash(c, activities.HashApprovalToken(tok))
	switch {
	case errors.Is(err, store.ErrNotFound):
		gone(c)
		return l, false
	case err != nil:
		s.Log.Warn("approval link", "err", err)
		c.Data(http.StatusServiceUnavailable, "text/plain; charset=utf-8", []byte("Temporarily unavailable. Nothing was changed; please try again in a minute.\n"))
		return l, false
	case l.UsedAt != nil || !time.Now().Before(l.ExpiresAt):
		gone(c)
		return l, false
	}
	return l, true
}

func verb(d string) string {
	if d == string(portal.Approved) {
		return "Approve"
	}
	return "Reject"
}

func (s *server) confirm(c *gin.Context) {
	l, ok := s.link(c)
	if !ok {
		return
	}
	a, _, _, err := s.Store.GetApproval(c, l.ApprovalID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		gone(c)
		return
	case err != nil:
		s.Log.Warn("approval link", "err", err)
		c.Data(http.StatusServiceUnavailable, "text/plain; charset=utf-8", []byte("Temporarily unavailable. Nothing was changed; please try again in a minute.\n"))
		return
	}
	where := "portal"
	if a.Kind == string(portal.KindSiteRegistration) {
		where = "site"
	}
	render(c, http.StatusOK, linkPage{Title: verb(l.Decision) + " request?", Form: true, Verb: verb(l.Decision), Decision: l.Decision,
		Approver: l.Approver, ApprovalID: a.ID, Kind: a.Kind, Where: where, PortalID: a.PortalID, Request: string(a.Summary)})
}

// decide votes with the link's approver and decision. The Update id is
// derived from the token's hash, so a double submit counts once.
func (s *server) decide(c *gin.Context) {
	l, ok := s.link(c)
	if !ok {
		return
	}
	in := workflows.DecideInput{DecisionID: "link-" + hex.EncodeToString(l.TokenHash)[:32], Approver: l.Approver,
		Decision: portal.Decision(l.Decision), Via: domain.ViaLink, LinkHash: l.TokenHash}
	st, err := workflows.DecideApproval(c, s.Temporal, l.ApprovalID, in)
	if err != nil {
		status, _, msg := admin.DecideStatus(c, s.Store, l.ApprovalID, err)
		title := "Not counted"
		if status == http.StatusServiceUnavailable {
			title, msg = "Temporarily unavailable", "Nothing was changed; please try again in a minute."
		}
		render(c, status, linkPage{Title: title, Message: msg})
		return
	}
	msg := "Your vote is counted (" + l.Decision + ")."
	if st.Decided() {
		msg = "The request is " + string(st.Decision) + "."
	}
	render(c, http.StatusOK, linkPage{Title: "Thank you", Message: msg})
}
