package web

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/config"
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
			pageError(c, http.StatusUnsupportedMediaType, "Send the form as application/x-www-form-urlencoded.")
			return
		}
		if c.Request.ContentLength > MaxPageBody {
			pageError(c, http.StatusRequestEntityTooLarge, "The form is too large.")
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxPageBody)
		if !post {
			c.Next()
			return
		}
		if err := c.Request.ParseForm(); err != nil {
			if TooLarge(err) {
				pageError(c, http.StatusRequestEntityTooLarge, "The form is too large.")
				return
			}
			pageError(c, http.StatusBadRequest, "The form cannot be read.")
			return
		}
		c.Next()
	}
}

func pageError(c *gin.Context, status int, msg string) {
	c.Abort()
	c.Data(status, "text/plain; charset=utf-8", []byte(msg+"\n"))
}

// NewLimiter is the limiter for r; nil when r is off.
func NewLimiter(r config.Rate) *ratelimit.Limiter {
	if r.Off() {
		return nil
	}
	return ratelimit.New(r.PerMinute, r.Burst)
}

// Allow takes a token from l for key. Without one it sets Retry-After (whole
// seconds, rounded up) and returns a message for the 429 the caller
// answers in its protocol's format. A nil l allows everything.
func Allow(c *gin.Context, l *ratelimit.Limiter, key string) (string, bool) {
	if l == nil {
		return "", true
	}
	ok, wait := l.Allow(key, time.Now())
	if ok {
		return "", true
	}
	secs := strconv.Itoa(int((wait + time.Second - 1) / time.Second))
	c.Header("Retry-After", secs)
	return "too many requests from " + ClientIP(c) + "; retry in " + secs + " s", false
}

// LimitPages rate-limits the pages' form posts per client address (429 in
// plain text).
func LimitPages(l *ratelimit.Limiter) gin.HandlerFunc {
	return func(c *gin.Context) {
		if msg, ok := Allow(c, l, ClientIP(c)); !ok {
			pageError(c, http.StatusTooManyRequests, "Too many attempts: "+msg+".")
			return
		}
		c.Next()
	}
}
