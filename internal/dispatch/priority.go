package dispatch

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Priority lets a process's accepts go before its deliveries. An accept is
// what a caller is waiting for; starting deliveries is work behind it, and
// where both share the CPU (make dev, a gateway beside a worker) a burst of
// accepts would otherwise queue behind the deliveries of the accepts before
// it: a delivery costs about eight accepts of CPU.
//
// The process is busy while busyAt or more accepts are in flight and they
// arrive at busyRatePerCore a second per core or faster, or while callers
// keep busyCrowd accepts in flight on average however slowly they arrive,
// and for busyHold after; and for surgeHold after each accept that
// begins with busySurge in flight. While it is busy, dispatch rounds (the
// fast path's and the relay's) wait, and one round of at most busyBatch
// events is let through per busySlot in the whole process, so deliveries
// keep moving under a load that never stops. When the burst ends, what it
// accepted is dispatched at full speed. A nil *Priority never holds
// anything back (a worker on its own: no accepts compete with its relay).
type Priority struct {
	held      atomic.Int64 // dispatch rounds that waited behind accepts
	busyUntil atomic.Int64 // unix nanoseconds: busy until then
	mu        sync.Mutex
	last      time.Time // the last round let through while busy
	// Accepts counted in the current window (since winStart) and the one
	// before it.
	winStart        time.Time
	count, previous int
	// busyPerWindow: accepts in one busyWindow at which the process is busy.
	busyPerWindow int
	// inFlight: accepts running now; load: inFlight averaged over about
	// crowdWindow (exponentially weighted by time), as of changed.
	inFlight int
	load     float64
	changed  time.Time
}

const (
	// busyAt: 20 callers hammering keep ~20 accepts in flight; an open
	// loop of 100 events/s keeps ~1 (each takes milliseconds).
	busyAt = 8
	// busyRatePerCore: and only while accepts arrive at least twice as
	// fast as the process could deliver them (on 2 cores 150–190
	// deliveries/s, so 400/s). Below it, holding deliveries back leaves
	// the CPU idle: a closed loop that waits for each callback posts at
	// the rate it is delivered, in bunches (callers answered together
	// post together). At 200/s on 2 cores such a loop at 150/s counted as
	// busy again and again: 88 rounds held in 8 s, the CPU 27 % idle.
	busyRatePerCore = 200
	// busyCrowd: a crowd whose first accepts share the CPU with their own
	// deliveries arrives too slowly for the rate, and stays that way: 20
	// callers on a fresh process got 210–950 accepts/s at a POST p99 of
	// 105–265 ms in nine runs, against 1,130–1,300/s at 80–90 ms in two with
	// this (stop 16). Callers that post again as soon as they are answered
	// keep nearly all of themselves in flight, however slow each accept (20
	// kept 15–19 on average); a closed loop that waits for each callback keeps
	// a fraction, accept time ÷ cycle (20 kept 3, at most 7, saturated at 100
	// deliveries/s). With an average of 8 instead of the rate and the count,
	// that loop delivered 7 % less (six alternating pairs).
	busyCrowd = 12
	// crowdWindow: the load's time constant. Twenty in flight from an
	// idle start reach busyCrowd after 90 ms; the accepts meanwhile wait
	// behind full dispatch rounds, and the first few hundred milliseconds
	// of a crowd set its POST p99.
	crowdWindow = 100 * time.Millisecond
	// busySurge: an accept that begins with so many in flight holds
	// dispatch for surgeHold, so a burst is held from its first moments,
	// before the average shows a crowd. Without it the fast path started
	// the deliveries of every accept of a burst's first 90 ms, and their
	// CPU delayed the accepts of the next half second: 20 callers from idle had 66–96 of
	// their ~130 POSTs at or over the phase's p99 in its first 0.5 s
	// (five runs); with it 7–14, and the POST p99 fell from 42–45 to
	// 29–31 ms (two pairs, stop 18). Only 20 ms: a closed loop that
	// waits for each callback also has 16 in flight when callbacks arrive
	// together. Held busyHold each time, it lost 5 % of its rate and its
	// event → receipt p99 rose from 189–265 to 287–321 ms (three pairs);
	// held surgeHold, +1 and −10 % (two pairs, within the noise of single
	// runs: 178–230/s without the surge) and 230–310 ms against 193–203.
	busySurge  = 16
	surgeHold  = 20 * time.Millisecond
	busyWindow = 250 * time.Millisecond
	// busyBatch: even 32 deliveries a second would take a sixth of two
	// cores from the accepts.
	busyBatch = 8
	busySlot  = time.Second
	// busyHold: the count dips between one caller's answer and its next
	// request.
	busyHold = 250 * time.Millisecond
	busyPoll = 10 * time.Millisecond
)

// NewPriority returns the process's Priority: share one between the
// gateway's Dispatcher and the worker's relay.
func NewPriority() *Priority { return newPriority(busyRatePerCore * runtime.GOMAXPROCS(0)) }

// newPriority: busy from perSecond accepts a second.
func newPriority(perSecond int) *Priority {
	return &Priority{busyPerWindow: max(1, perSecond*int(busyWindow)/int(time.Second))}
}

// Accepting counts one accept in flight until done is called.
func (p *Priority) Accepting() (done func()) {
	if p == nil {
		return func() {}
	}
	p.begin(time.Now())
	return func() { p.end(time.Now()) }
}

// begin counts an accept from now and makes the process busy until
// busyHold after now if the accepts crowd it.
func (p *Priority) begin(now time.Time) {
	p.mu.Lock()
	p.settle(now)
	p.inFlight++
	n := p.inFlight
	switch since := now.Sub(p.winStart); {
	case since >= 2*busyWindow:
		p.winStart, p.count, p.previous = now, 0, 0
	case since >= busyWindow:
		p.winStart, p.count, p.previous = now, 0, p.count
	}
	p.count++
	fast := max(p.count, p.previous) >= p.busyPerWindow
	crowd := p.load >= busyCrowd
	p.mu.Unlock()
	switch {
	case n >= busyAt && fast || crowd:
		p.busyTill(now.Add(busyHold))
	case n >= busySurge:
		p.busyTill(now.Add(surgeHold))
	}
}

// busyTill makes the process busy until at least t.
func (p *Priority) busyTill(t time.Time) {
	for {
		cur := p.busyUntil.Load()
		if t.UnixNano() <= cur || p.busyUntil.CompareAndSwap(cur, t.UnixNano()) {
			return
		}
	}
}

// end ends an accept at now.
func (p *Priority) end(now time.Time) {
	p.mu.Lock()
	p.settle(now)
	p.inFlight--
	p.mu.Unlock()
}

// settle moves the load to now: since changed it has approached
// inFlight, constant meanwhile, with crowdWindow as the time constant.
func (p *Priority) settle(now time.Time) {
	dt := now.Sub(p.changed)
	if dt <= 0 {
		return
	}
	w := math.Exp(-float64(dt) / float64(crowdWindow))
	p.load = p.load*w + float64(p.inFlight)*(1-w)
	p.changed = now
}

// Busy reports whether accepts are crowding the process at now.
func (p *Priority) Busy(now time.Time) bool {
	return p != nil && now.UnixNano() < p.busyUntil.Load()
}

// turn decides whether a dispatch round may run at now: always when the
// process is not busy; while busy, the first to ask in each busySlot.
// busy reports which case it was, so the round can stay small.
func (p *Priority) turn(now time.Time) (ok, busy bool) {
	if !p.Busy(now) {
		return true, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.last) < busySlot {
		return false, true
	}
	p.last = now
	return true, true
}

// Wait returns when a dispatch round may run, with the round's size: full
// unless the process is busy (see Priority), then busyBatch.
func (p *Priority) Wait(ctx context.Context, full int) (size int, err error) {
	if p == nil {
		return full, ctx.Err()
	}
	size = full
	ok, busy := p.turn(time.Now())
	if !ok {
		p.held.Add(1)
		t := time.NewTicker(busyPoll)
		defer t.Stop()
		for !ok {
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-t.C:
			}
			ok, busy = p.turn(time.Now())
		}
	}
	if busy {
		size = busyBatch
	}
	return size, nil
}

// Held is how many dispatch rounds have waited behind accepts (a metric).
func (p *Priority) Held() int64 {
	if p == nil {
		return 0
	}
	return p.held.Load()
}
