// Package ratelimit keeps one token bucket (golang.org/x/time/rate) per key,
// such as a site and a client address, for the routes strangers can reach.
// Buckets idle long enough to be full again are dropped, so the map stays
// as large as the set of clients active in the last few minutes.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter is a set of buckets with one rate and burst.
type Limiter struct {
	every time.Duration // one token per every
	burst int
	idle  time.Duration // a bucket unused this long is full: forget it

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New allows burst requests at once and then perMinute per minute, per key.
func New(perMinute, burst int) *Limiter {
	every := time.Minute / time.Duration(max(perMinute, 1))
	return &Limiter{every: every, burst: max(burst, 1), idle: every * time.Duration(max(burst, 1)),
		buckets: map[string]*bucket{}}
}

// Allow takes a token for key. When none is left it says how long until one is.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > l.idle {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > l.idle {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Len is the number of buckets held (for tests and metrics).
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
