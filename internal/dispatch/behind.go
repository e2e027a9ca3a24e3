package dispatch

import (
	"context"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"gatehouse/internal/domain"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

// The fast path dispatches events a request accepted after the request has
// been answered: at most Workers goroutines of this process share a bounded
// queue and take up to behindBatch events at a time, with one matcher, one
// INSERT of their deliveries and one UPDATE marking them dispatched. It owns
// an event only for the relay's grace: an event still queued after it is
// dropped (the relay has it by then), so the queue never holds more than the
// relay would redo, and a process that dies with events queued loses nothing.
// Newest first: after an outage the relay works through the backlog oldest
// first while the fast path keeps new events on time, and the two meet in
// the middle instead of redoing each other's work. While the process's
// accepts crowd it, rounds wait behind them (Priority).
const (
	behindQueue   = 1024             // beyond it the relay takes an event ("queued")
	behindBatch   = 32               // events per round of one worker
	behindTimeout = 30 * time.Second // one round's deadline
	behindStarts  = 8                // workflow starts in flight per round
)

type queued struct {
	se domain.StoredEvent
	at time.Time
}

type fastPath struct {
	mu      sync.Mutex
	queue   []queued
	running int
}

// Behind queues a stored event for the fast path and reports whether it
// took it; false (no workers, or the queue is full) leaves it to the relay.
func (d *Dispatcher) Behind(se domain.StoredEvent) bool {
	if d.Workers <= 0 {
		return false
	}
	f := &d.fast
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queue) >= behindQueue {
		return false
	}
	f.queue = append(f.queue, queued{se: se, at: time.Now()})
	if f.running < d.Workers {
		f.running++
		go d.drain()
	}
	return true
}

// drain runs rounds until the queue is empty, then its goroutine ends.
// Each round waits its turn behind the process's accepts (Priority).
func (d *Dispatcher) drain() {
	for {
		size, _ := d.Priority.Wait(context.Background(), behindBatch) // never cancelled
		batch := d.take(size)
		if batch == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), behindTimeout)
		d.dispatchBatch(ctx, batch)
		cancel()
	}
}

// take removes the next round's events (at most size), newest first, after dropping
// those the relay owns by now; nil (and one worker fewer) when nothing is
// left.
func (d *Dispatcher) take(size int) []domain.StoredEvent {
	f := &d.fast
	f.mu.Lock()
	defer f.mu.Unlock()
	stale := 0
	for stale < len(f.queue) && d.Grace > 0 && time.Since(f.queue[stale].at) > d.Grace {
		stale++
	}
	clear(f.queue[:stale])
	f.queue = f.queue[stale:]
	n := min(len(f.queue), size)
	var out []domain.StoredEvent
	for _, q := range f.queue[len(f.queue)-n:] {
		out = append(out, q.se)
	}
	clear(f.queue[len(f.queue)-n:])
	f.queue = f.queue[:len(f.queue)-n]
	if len(f.queue) == 0 {
		f.queue = nil // let the array go
	}
	if len(out) == 0 {
		f.running--
		return nil
	}
	return out
}

// dispatchBatch starts the deliveries of events a request accepted. Any
// failure leaves the event undispatched: the relay retries it, and counts
// failures that are the event's own.
func (d *Dispatcher) dispatchBatch(ctx context.Context, events []domain.StoredEvent) {
	m := newMatcher(d)
	var rows []store.Delivery
	var ins []workflows.DeliveryInput
	planned := make([]string, 0, len(events))
	for _, se := range events {
		r, in, err := d.plan(ctx, m, se)
		if err != nil {
			d.Log.Warn("dispatch event: left to the relay", "event_id", se.ID, "err", err)
			continue
		}
		rows, ins = append(rows, r...), append(ins, in...)
		planned = append(planned, se.ID)
	}
	if err := d.Store.CreateDeliveries(ctx, rows); err != nil {
		d.Log.Warn("dispatch events: left to the relay", "events", len(planned), "err", err)
		return
	}
	// Starts run behindStarts at a time: one start is a round trip to
	// Temporal, mostly waiting.
	var mu sync.Mutex
	failed := map[string]bool{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, behindStarts)
	for _, in := range ins {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := d.startWorkflow(ctx, in, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE); err != nil {
				d.Log.Warn("dispatch event: left to the relay", "event_id", in.EventID, "err", err)
				mu.Lock()
				failed[in.EventID] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	done := planned[:0]
	for _, id := range planned {
		if !failed[id] {
			done = append(done, id)
		}
	}
	if err := d.Store.MarkDispatched(ctx, done...); err != nil {
		d.Log.Warn("mark events dispatched: the relay will start them again (harmless)", "events", len(done), "err", err)
	}
}
