// Package bench measures Gatehouse on a stack it starts as a process of its
// own and writes a JSON report. Every figure comes with a baseline measured
// in the same run against the same Temporal server, so reports compare as
// ratios, and every phase carries its CPU cost and the machine's idle share.
package bench

import (
	"context"
	"fmt"
	"io"
	"math"
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

// Figures summarise the calls (or the end-to-end latencies) of one phase.
type Figures struct {
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

// closedLoop runs fn from n goroutines for d and measures each call. Its
// rate is the calls completed within d, over d: a call still running long
// after the load stops (one engine-one-activity call took 20 s at stop 19)
// shows in maxMs and seconds instead of stretching the phase, which divided
// every other call by its 20 s.
func closedLoop(ctx context.Context, n int, d time.Duration, fn func(ctx context.Context, i int) error) Figures {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu     sync.Mutex
		lat    []time.Duration
		errs   int
		next   int
		within int
		wg     sync.WaitGroup
	)
	start := time.Now()
	end, _ := ctx.Deadline()
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
					if !t0.Add(el).After(end) {
						within++
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	f := summarize(lat, errs, time.Since(start))
	f.Concurrency = n
	if d > 0 {
		f.PerSecond = round(float64(within) / d.Seconds())
	}
	return f
}

// openLoop calls fn at a fixed rate for d, without waiting for earlier
// calls, then waits for all of them.
func openLoop(ctx context.Context, rate float64, d time.Duration, fn func(i int, sent time.Time)) int {
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	i := 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		t := <-tick.C
		n := i
		wg.Go(func() { fn(n, t) })
		i++
	}
	wg.Wait()
	return i
}

func summarize(lat []time.Duration, errs int, took time.Duration) Figures {
	lat = slices.Clone(lat)
	slices.Sort(lat)
	f := Figures{Requests: len(lat), Errors: errs, Seconds: round(took.Seconds())}
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

// pct is the nearest-rank percentile of sorted (p in [0,1]).
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	i = min(max(i, 0), len(sorted)-1)
	return sorted[i]
}

func ms(d time.Duration) float64 { return round(float64(d) / float64(time.Millisecond)) }

func round(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// sample is one end-to-end latency of an open-loop phase, by send order.
type sample struct {
	sent    time.Time
	latency time.Duration
}

// Trend compares the first and last third of an open-loop phase (by send
// time): a rate the system sustains keeps its latency; one it cannot
// sustain builds a backlog and the latency grows over the phase.
type Trend struct {
	FirstThirdP50ms float64 `json:"firstThirdP50ms"`
	LastThirdP50ms  float64 `json:"lastThirdP50ms"`
	Sustained       bool    `json:"sustained"`
}

// backlogGrowth is the most the median may grow from the first third of an
// open-loop phase to the last for the rate to count as sustained.
const backlogGrowth = 500 * time.Millisecond

// trend splits samples into thirds by send time. The rate is sustained
// when the last third's median stays within twice the first third's (plus
// 50 ms, so that a few milliseconds of jitter at low latency do not count),
// grows by no more than backlogGrowth (a backlog that started building in the
// first third grows by seconds, not by a factor), and every event was sent
// and arrived.
func trend(samples []sample, errs int) Trend {
	s := slices.Clone(samples)
	slices.SortFunc(s, func(a, b sample) int { return a.sent.Compare(b.sent) })
	if len(s) < 3 {
		return Trend{}
	}
	third := len(s) / 3
	p50 := func(part []sample) time.Duration {
		l := make([]time.Duration, len(part))
		for i, x := range part {
			l[i] = x.latency
		}
		slices.Sort(l)
		return pct(l, 0.5)
	}
	first, last := p50(s[:third]), p50(s[len(s)-third:])
	return Trend{
		FirstThirdP50ms: ms(first),
		LastThirdP50ms:  ms(last),
		Sustained:       errs == 0 && last <= 2*first+50*time.Millisecond && last-first <= backlogGrowth,
	}
}

// phaseOrder is the order of n phases in round r (1-based): odd rounds run
// them forwards, even rounds backwards, so a drift over the run (a growing
// SQLite file, a neighbour starting) cannot favour the phases that run first.
func phaseOrder(n, r int) []int {
	out := make([]int, n)
	for i := range out {
		if r%2 == 1 {
			out[i] = i
		} else {
			out[i] = n - 1 - i
		}
	}
	return out
}
