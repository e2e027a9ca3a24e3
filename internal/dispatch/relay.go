package dispatch

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"gatehouse/internal/domain"
	"gatehouse/internal/metrics"
	"gatehouse/internal/store"
)

// SkipAfter is how many times the relay tries an event whose dispatch fails
// through the event's own fault before it sets the event aside.
const SkipAfter = 10

// The operational event the relay emits when it sets an event aside.
const (
	EventDispatchFailed = "EventDispatchFailed"
	ObjectTypeEvent     = "gatehouse.Event"
	relaySource         = "relay"
)

// Relay hands events to Temporal that no request did: events written inside
// other transactions (user changes, operational events) and any whose fast
// path failed. It takes events stored at least grace ago, by the time
// Gatehouse stored them. It runs in every worker; duplicates are harmless
// because delivery ids are deterministic.
func (d *Dispatcher) Relay(ctx context.Context, every, grace time.Duration) {
	const batch = 200
	prune := time.Now()
	var seen time.Time // when a round last found events
	for {
		// Behind the process's accepts, and small while they crowd it.
		size, err := d.Priority.Wait(ctx, batch)
		if err != nil {
			return
		}
		n, err := d.relayOnce(ctx, grace, size)
		if err != nil && ctx.Err() == nil {
			d.Log.Warn("event relay", "err", err)
		}
		if time.Since(prune) > time.Hour {
			if err := d.Store.PruneIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
				d.Log.Warn("prune idempotency keys", "err", err)
			}
			if err := d.Store.PruneAccountEmails(ctx); err != nil && ctx.Err() == nil {
				d.Log.Warn("prune account email sends", "err", err)
			}
			prune = time.Now()
		}
		if n > 0 {
			seen = time.Now()
		}
		wait := relayWait(every, n, size, err, time.Since(seen))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// relayFollow is the wait between rounds for relayStay after a round
// found events (a full batch goes on at once). A worker whose gateways
// leave dispatch to it (GATEHOUSE_DISPATCH_WORKERS=0) then starts a
// stream's events within about this long instead of within the poll
// interval; a quiet relay is back at the poll interval a second later.
const (
	relayFollow = 20 * time.Millisecond
	relayStay   = time.Second
)

// relayWait is the wait before the next round, after one that handled n
// of at most size events (err: it stopped at a dependency) when a round
// last found events quiet ago.
func relayWait(every time.Duration, n, size int, err error, quiet time.Duration) time.Duration {
	switch {
	case err != nil:
		return every // a dependency is down: no faster than the poll
	case n == size:
		return 0 // more are waiting
	case quiet < relayStay:
		// Events come in streams: while one flows the next is due soon,
		// and a look costs one indexed query.
		return min(every, relayFollow)
	}
	return every
}

// relayStarts is how many events of a batch the relay starts at once:
// one start is a round trip to Temporal, mostly waiting, so a backlog left
// by a burst drains at the engine's pace instead of one event at a time.
const relayStarts = 8

// relayOnce handles one batch and returns how many events it handled
// (dispatched, or counted as failed). An event whose dispatch fails through
// its own fault is counted against it and the batch goes on; a dependency
// that is down stops the batch with nothing counted, the rest waits.
// Events are matched in order and started up to relayStarts at a time;
// their outcomes are then taken in order, so a stop leaves every later
// event to the next round (those that did start are started again there,
// which is harmless).
func (d *Dispatcher) relayOnce(ctx context.Context, grace time.Duration, batch int) (int, error) {
	met := d.metrics()
	events, err := d.Store.UndispatchedEvents(ctx, grace, batch)
	if err != nil {
		if ctx.Err() == nil {
			met.Unavailable.Inc()
		}
		return 0, err
	}
	// One matcher and one UPDATE for the batch; starting a delivery twice
	// is harmless, so a crash before the UPDATE only repeats work.
	m := newMatcher(d)
	errs := make([]error, len(events))
	tried := 0
	var (
		wg      sync.WaitGroup
		stopped atomic.Bool // a dependency failed: start nothing more
	)
	sem := make(chan struct{}, relayStarts)
	for i, se := range events {
		if stopped.Load() {
			break
		}
		tried++
		rows, ins, err := d.plan(ctx, m, se)
		if err != nil {
			errs[i] = err
			if !errors.As(err, new(poisonError)) {
				stopped.Store(true) // decided below, in order; maybe the event's own
			}
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := d.startAll(ctx, rows, ins); err != nil {
				errs[i] = err
				if !errors.As(err, new(poisonError)) {
					stopped.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	done := make([]string, 0, tried)
	failed := 0
	err = nil
	for i, se := range events[:tried] {
		err = errs[i]
		if err != nil && d.eventsFault(ctx, err) {
			if err = d.fail(ctx, se, err); err == nil {
				failed++
				continue
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				met.Unavailable.Inc()
			}
			break
		}
		done = append(done, se.ID)
	}
	merr := d.Store.MarkDispatched(ctx, done...)
	if merr == nil {
		met.Dispatched.Add(float64(len(done)))
	}
	return len(done) + failed, errors.Join(err, merr)
}

// fail counts a failed dispatch against an event; at SkipAfter the event is
// set aside and EventDispatchFailed reports it.
func (d *Dispatcher) fail(ctx context.Context, se domain.StoredEvent, cause error) error {
	reason := store.ClampChars(cause.Error(), 1024)
	obj, _ := json.Marshal(map[string]any{"id": se.ID, "eventType": se.EventType, "eventObjectType": se.EventObjectType,
		"objectId": se.ObjectID, "attempts": SkipAfter, "reason": reason})
	// The id is derived from the event, so it is reported once.
	sum := sha256.Sum256([]byte("dispatch-failed/" + se.ID))
	report := domain.Event{ID: "op_" + hex.EncodeToString(sum[:12]), EventType: EventDispatchFailed, EventObjectType: ObjectTypeEvent,
		ObjectID: se.ID, SiteID: se.SiteID, Object: obj, Source: relaySource, OccurredAt: time.Now().UTC()}
	f, err := d.Store.FailDispatch(ctx, se.ID, reason, SkipAfter, report)
	if err != nil {
		return err
	}
	met := d.metrics()
	met.Failures.Inc()
	d.Log.Warn("event dispatch failed", "event_id", se.ID, "attempt", f.Attempts, "err", cause)
	if f.Skipped {
		met.Skipped.Inc()
		d.Log.Error("event set aside: its dispatch failed too often", "event_id", se.ID, "attempts", f.Attempts, "err", cause)
	}
	return nil
}

// poisonError marks a failure that is the event's own: it would fail the
// same way with every dependency up.
type poisonError struct{ err error }

func poison(err error) error        { return poisonError{err} }
func (e poisonError) Error() string { return e.err.Error() }
func (e poisonError) Unwrap() error { return e.err }

// checkPayload refuses an event whose stored JSON cannot be converted:
// rendering it would send garbage, now and on every retry.
func checkPayload(se domain.StoredEvent) error {
	if len(se.Object) > 0 && !json.Valid(se.Object) {
		return poison(errors.New("the event's object is not valid JSON"))
	}
	if len(se.Previous) > 0 && !json.Valid(se.Previous) {
		return poison(errors.New("the event's previous object is not valid JSON"))
	}
	return nil
}

// eventsFault tells a failure that is the event's own (count it against
// the event) from a dependency being down (stop, count nothing). An error
// of neither known kind counts against the event only when MySQL and
// Temporal both answer right after it.
func (d *Dispatcher) eventsFault(ctx context.Context, err error) bool {
	var p poisonError
	switch {
	case errors.As(err, &p):
		return true
	case ctx.Err() != nil, unavailable(err):
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if d.Store.Ping(ctx) != nil {
		return false
	}
	_, err = d.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err == nil
}

// unavailable reports errors that say a dependency is unreachable or slow.
func unavailable(err error) bool {
	var (
		down *serviceerror.Unavailable
		late *serviceerror.DeadlineExceeded
		busy *serviceerror.ResourceExhausted
		ne   net.Error
	)
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.As(err, &down) || errors.As(err, &late) || errors.As(err, &busy) || errors.As(err, &ne)
}

// discard counts for a Dispatcher without Metrics (the gateway's).
var discard = metrics.NewRelay(nil)

func (d *Dispatcher) metrics() *metrics.Relay {
	if d.Metrics != nil {
		return d.Metrics
	}
	return discard
}
