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
const (
	behindQueue   = 1024             // beyond it the relay takes an event ("queued")
	behindBatch   = 32               // events per round of one worker
	behindTimeout = 30 * time.Second // one round's deadline
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
func (d *Dispatcher) drain() {
	for {
		batch := d.take()
		if batch == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), behindTimeout)
		d.dispatchBatch(ctx, batch)
		cancel()
	}
}

// take removes the next round's events, skipping those the relay owns
// by now; nil (and one worker fewer) when nothing is left.
func (d *Dispatcher) take() []domain.StoredEvent {
	f := &d.fast
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []domain.StoredEvent
	for len(f.queue) > 0 && len(out) < behindBatch {
		q := f.queue[0]
		f.queue[0] = queued{}
		f.queue = f.queue[1:]
		if d.Grace > 0 && time.Since(q.at) > d.Grace {
			continue
		}
		out = append(out, q.se)
	}
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
	failed := map[string]bool{}
	for _, in := range ins {
		if failed[in.EventID] {
			continue
		}
		if err := d.startWorkflow(ctx, in, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE); err != nil {
			d.Log.Warn("dispatch event: left to the relay", "event_id", in.EventID, "err", err)
			failed[in.EventID] = true
		}
	}
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
