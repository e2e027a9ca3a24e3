package notify

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultSchedule is the wait before each retry: the first attempt is
// immediate, then nine more, ten tries over about 22 hours (Kaltura's
// "up to 10 retries over ~24 hours").
var DefaultSchedule = []time.Duration{
	30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour,
	2 * time.Hour, 4 * time.Hour, 6 * time.Hour, 8 * time.Hour,
}

// MaxRetryAfter bounds how long a receiver's Retry-After can push a retry.
const MaxRetryAfter = 6 * time.Hour

// ParseSchedule reads "30s,2m,10m". Empty means the default (nil).
func ParseSchedule(s string) ([]time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d < time.Second || d > 48*time.Hour {
			return nil, fmt.Errorf("%q is not a duration between 1s and 48h", strings.TrimSpace(part))
		}
		out = append(out, d)
	}
	if len(out) > 30 {
		return nil, fmt.Errorf("at most 30 retries")
	}
	return out, nil
}

// Jitter spreads retries of many deliveries that failed together by up to
// ±10%. It is a pure function of the delivery and the attempt, so a
// workflow can call it and stay deterministic.
func Jitter(deliveryID string, attempt int, d time.Duration) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(deliveryID))
	h.Write([]byte{byte(attempt), byte(attempt >> 8), byte(attempt >> 16)})
	frac := float64(h.Sum64()%2001)/1000 - 1 // [-1, 1]
	return d + time.Duration(frac*0.1*float64(d))
}

// Outcome is what one attempt decided.
type Outcome string

// Outcomes of an attempt.
const (
	Delivered Outcome = "delivered" // 2xx, or every email recipient handled
	Retry     Outcome = "retry"     // 5xx, 408, 425, 429, timeout, connection error, deferred email
	Failed    Outcome = "failed"    // other 4xx, refused address: retrying cannot help
	Gone      Outcome = "gone"      // 410: the receiver asks us to stop; the target is disabled
)

// Classify maps an HTTP status to an outcome.
func Classify(status int) Outcome {
	switch {
	case status >= 200 && status < 300:
		return Delivered
	case status == http.StatusGone:
		return Gone
	case status == http.StatusRequestTimeout, status == http.StatusTooEarly, status == http.StatusTooManyRequests:
		return Retry
	case status >= 500:
		return Retry
	}
	return Failed
}

// RetryAfter reads a Retry-After header (seconds or an HTTP date), bounded.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	return min(d, MaxRetryAfter)
}
