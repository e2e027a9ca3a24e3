package web

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/config"
	"gatehouse/internal/pagetext"
	"gatehouse/internal/ratelimit"
)

// Body limits: every request body is capped before any handler reads it, so
// no parser (multipart spills file parts to disk) ever sees more.
const (
	MaxBody     = 1 << 20  // webhooks, admin API, Kaltura service
	MaxPageBody = 16 << 10 // the pages' forms: a token and two passwords
)

// LimitBody caps every request body at max bytes. Handlers answer a
// *http.MaxBytesError in their protocol's own error format (TooLarge).
func LimitBody(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		c.Next()
	}
}

// TooLarge reports whether err is a body over its limit.
func TooLarge(err error) bool {
	var tooBig *http.MaxBytesError
	return errors.As(err, &tooBig)
}

// PageForm guards the pages' form posts: at most MaxPageBody bytes, only
// application/x-www-form-urlencoded (what the pages' forms send; multipart
// is 415), parsed here so handlers read c.Request.PostForm.
func PageForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		post := c.Request.Method == http.MethodPost
		if ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); post && ct != "application/x-www-form-urlencoded" {
			pageError(c, http.StatusUnsupportedMediaType, pagetext.FormType)
			return
		}
		if c.Request.ContentLength > MaxPageBody {
			pageError(c, http.StatusRequestEntityTooLarge, pagetext.FormTooLarge)
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxPageBody)
		if !post {
			c.Next()
			return
		}
		if err := c.Request.ParseForm(); err != nil {
			if TooLarge(err) {
				pageError(c, http.StatusRequestEntityTooLarge, pagetext.FormTooLarge)
				return
			}
			pageError(c, http.StatusBadRequest, pagetext.FormUnreadable)
			return
		}
		c.Next()
	}
}

// NewLimiter is the limiter for r; nil when r is off.
func NewLimiter(r config.Rate) *ratelimit.Limiter {
	if r.Off() {
		return nil
	}
	return ratelimit.New(r.PerMinute, r.Burst)
}

// Take takes a token from l for key. Without one it sets Retry-After and
// returns the whole seconds (rounded up) until one is free, for a page to
// say in its reader's language. A nil l allows everything.
func Take(c *gin.Context, l *ratelimit.Limiter, key string) (int, bool) {
	if l == nil {
		return 0, true
	}
	ok, wait := l.Allow(key, time.Now())
	if ok {
		return 0, true
	}
	secs := int((wait + time.Second - 1) / time.Second)
	c.Header("Retry-After", strconv.Itoa(secs))
	return secs, false
}

// Allow is Take for the APIs: without a token it returns an English
// message for the 429 the caller answers in its protocol's format.
func Allow(c *gin.Context, l *ratelimit.Limiter, key string) (string, bool) {
	secs, ok := Take(c, l, key)
	if ok {
		return "", true
	}
	return "too many requests from " + ClientIP(c) + "; retry in " + strconv.Itoa(secs) + " s", false
}

// LimitPages rate-limits the pages' form posts per client address (429 in
// plain text, in the reader's language).
func LimitPages(l *ratelimit.Limiter) gin.HandlerFunc {
	return func(c *gin.Context) {
		if secs, ok := Take(c, l, ClientIP(c)); !ok {
			pageError(c, http.StatusTooManyRequests, pagetext.TooMany, secs)
			return
		}
		c.Next()
	}
}
