// Package bench measures Gatehouse on a dev stack it starts itself and
// writes a JSON report. Every figure comes with a baseline measured in the
// same run against the same Temporal server, so reports compare as ratios.
package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// call sends req and wants the status; the body is drained so the
// connection is reused.
func call(c *http.Client, req *http.Request, want int) error {
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body) //nolint:errcheck
	res.Body.Close()
	if res.StatusCode != want {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// Figures summarise one load phase.
type Figures struct {
	Name        string  `json:"name"`
	Concurrency int     `json:"concurrency,omitempty"`
	RatePerSec  float64 `json:"targetRatePerSec,omitempty"`
	Requests    int     `json:"requests"`
	Errors      int     `json:"errors"`
	Seconds     float64 `json:"seconds"`
	PerSecond   float64 `json:"perSecond"`
	P50ms       float64 `json:"p50ms"`
	P99ms       float64 `json:"p99ms"`
	MaxMs       float64 `json:"maxMs"`
}

// closedLoop runs fn from n goroutines for d and measures each call.
func closedLoop(ctx context.Context, name string, n int, d time.Duration, fn func(ctx context.Context, i int) error) Figures {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu   sync.Mutex
		lat  []time.Duration
		errs int
		next int
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				t0 := time.Now()
				err := fn(context.WithoutCancel(ctx), i)
				el := time.Since(t0)
				mu.Lock()
				if err != nil {
					errs++
				} else {
					lat = append(lat, el)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	f := summarize(name, lat, errs, time.Since(start))
	f.Concurrency = n
	return f
}

// openLoop calls fn at a fixed rate for d, without waiting for earlier calls.
func openLoop(ctx context.Context, rate float64, d time.Duration, fn func(i int)) int {
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	i := 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		<-tick.C
		n := i
		wg.Go(func() { fn(n) })
		i++
	}
	wg.Wait()
	return i
}

func summarize(name string, lat []time.Duration, errs int, took time.Duration) Figures {
	slices.Sort(lat)
	f := Figures{Name: name, Requests: len(lat), Errors: errs, Seconds: round(took.Seconds())}
	if took > 0 {
		f.PerSecond = round(float64(len(lat)) / took.Seconds())
	}
	if len(lat) > 0 {
		f.P50ms = ms(pct(lat, 0.50))
		f.P99ms = ms(pct(lat, 0.99))
		f.MaxMs = ms(lat[len(lat)-1])
	}
	return f
}

func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(sorted)) + 0.5)
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func ms(d time.Duration) float64 { return round(float64(d) / float64(time.Millisecond)) }

func round(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// latencyLoop calls fn at a fixed rate for d; fn returns how long its
// request took to have its effect (an email, a callback).
func latencyLoop(ctx context.Context, name string, rate float64, d time.Duration, fn func(i int) (time.Duration, error)) Figures {
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	sent := openLoop(ctx, rate, d, func(i int) {
		l, err := fn(i)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs++
			return
		}
		lat = append(lat, l)
	})
	f := summarize(name, lat, errs, d)
	f.RatePerSec = rate
	f.PerSecond = round(float64(sent) / d.Seconds())
	return f
}
