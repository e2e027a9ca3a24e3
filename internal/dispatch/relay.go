package dispatch

import (
	"context"
	"time"

	"gatehouse/activities"
)

// Relay hands events to Temporal that no request did: events written inside
// other transactions (user changes, operational events) and any whose fast
// path failed. It runs in every worker; duplicates are harmless because
// delivery ids are deterministic.
func (d *Dispatcher) Relay(ctx context.Context, every, grace time.Duration) {
	const batch = 200
	prune := time.Now()
	for {
		n, err := d.relayOnce(ctx, grace, batch)
		if err != nil && ctx.Err() == nil {
			d.Log.Warn("event relay", "err", err)
		}
		if time.Since(prune) > time.Hour {
			if err := d.Store.PruneIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
				d.Log.Warn("prune idempotency keys", "err", err)
			}
			prune = time.Now()
		}
		wait := every
		if n == batch {
			wait = 0 // more are waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (d *Dispatcher) relayOnce(ctx context.Context, grace time.Duration, batch int) (int, error) {
	events, err := d.Store.UndispatchedEvents(ctx, time.Now().Add(-grace), batch)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	m := &matcher{d: d}
	var unmatched []string // marked together at the end: one UPDATE
	for _, se := range events {
		ev := activities.NotifyEvent(se)
		targets, err := m.match(ctx, ev)
		if err != nil {
			return 0, err // Temporal or MySQL is down: try again next round
		}
		if len(targets) == 0 {
			unmatched = append(unmatched, se.ID)
			continue
		}
		if _, err := d.start(ctx, ev, targets, false); err != nil {
			return 0, err
		}
		if err := d.Store.MarkDispatched(ctx, se.ID); err != nil {
			return 0, err
		}
	}
	return len(events), d.Store.MarkDispatched(ctx, unmatched...)
}
