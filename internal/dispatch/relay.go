package dispatch

import (
	"context"
	"time"
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
	// One matcher and one UPDATE for the batch; starting a delivery twice
	// is harmless, so a crash before the UPDATE only repeats work.
	m := newMatcher(d)
	done := make([]string, 0, len(events))
	for _, se := range events {
		if _, err = d.startMatches(ctx, m, se); err != nil {
			break // Temporal or MySQL is down: the rest waits for the next round
		}
		done = append(done, se.ID)
	}
	if merr := d.Store.MarkDispatched(ctx, done...); err == nil {
		err = merr
	}
	return len(done), err
}
