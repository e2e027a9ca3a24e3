package activities

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
)

// heartbeatEvery keeps a long request or fan-out heartbeating well inside
// the workflows' HeartbeatTimeout (20 s): the SDK throttles what it sends.
const heartbeatEvery = 5 * time.Second

// heartbeat reports an activity's progress while it works, also while one
// request or SMTP transaction takes longer than the heartbeat timeout, so
// the server notices a dead worker in seconds rather than at StartToClose.
type heartbeat struct {
	ctx     context.Context
	mu      sync.Mutex
	details attemptProgress
	done    chan struct{}
	once    sync.Once
}

// startHeartbeat starts heartbeating; outside an activity (direct calls in
// tests) it does nothing.
func startHeartbeat(ctx context.Context, details attemptProgress) *heartbeat {
	h := &heartbeat{ctx: ctx, details: details, done: make(chan struct{})}
	if !activity.IsActivity(ctx) {
		return h
	}
	activity.RecordHeartbeat(ctx, details)
	go func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				h.mu.Lock()
				d := h.details
				h.mu.Unlock()
				activity.RecordHeartbeat(ctx, d)
			case <-h.done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return h
}

// set replaces the details and reports them (the SDK throttles).
func (h *heartbeat) set(details attemptProgress) {
	h.mu.Lock()
	h.details = details
	h.mu.Unlock()
	if activity.IsActivity(h.ctx) {
		activity.RecordHeartbeat(h.ctx, details)
	}
}

func (h *heartbeat) stop() { h.once.Do(func() { close(h.done) }) }
