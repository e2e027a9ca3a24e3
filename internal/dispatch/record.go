package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gatehouse/internal/domain"
	"gatehouse/internal/notify"
	"gatehouse/internal/store"
)

// Recorded is what Record did with an event.
type Recorded struct {
	Event   domain.StoredEvent
	Created bool // false: the idempotency key already had this event
	Queued  bool // the fast path did not take the event: the relay starts its deliveries
}

// Record stores an event under an idempotency key (with the request that
// brought it, in one transaction) and hands it to the fast path, which
// starts its deliveries after the caller has its answer (Behind). Once it
// returns without error the event is durable: whatever the fast path does
// not finish (a full queue, Temporal down, the process dying) the relay
// starts later, so nothing accepted is lost.
func (d *Dispatcher) Record(ctx context.Context, ev domain.Event, key string, request []byte) (Recorded, error) {
	se, created, err := d.Store.AcceptEvent(ctx, ev, key, request)
	if err != nil {
		return Recorded{}, err
	}
	r := Recorded{Event: se, Created: created}
	if se.DispatchedAt == nil {
		r.Queued = !d.Behind(se)
	}
	return r, nil
}

// ErrUnknownObject: a manual dispatch named an object no event has
// described yet.
var ErrUnknownObject = errors.New("dispatch: no snapshot of the object")

// ErrNotStarted: the event of a manual dispatch is stored but its delivery
// could not be started; the caller retries.
var ErrNotStarted = errors.New("dispatch: the delivery could not be started")

// DispatchObject is Kaltura's manual dispatch of template t for one object:
// it records an event from the object's latest snapshot, keeps the relay
// from matching it against anything else, and starts t's delivery.
func (d *Dispatcher) DispatchObject(ctx context.Context, t *notify.NotificationTemplate, objectType, objectID string) (store.Delivery, error) {
	obj, err := d.Store.Snapshot(ctx, objectType, objectID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Delivery{}, ErrUnknownObject
	}
	if err != nil {
		return store.Delivery{}, err
	}
	now := time.Now().UTC()
	ev := domain.Event{ID: domain.NewEventID(now), EventType: t.EventType, EventObjectType: objectType, ObjectID: objectID,
		Object: obj, Source: "dispatch", OccurredAt: now}
	// Recorded as dispatched in the same transaction: the relay must never
	// match a manual dispatch's event against every other target.
	if err := d.Store.RecordDispatchedEvent(ctx, ev); err != nil {
		return store.Delivery{}, err
	}
	se, err := d.Store.GetEvent(ctx, ev.ID)
	if err != nil {
		return store.Delivery{}, err
	}
	del, err := d.DispatchTemplate(ctx, se, t)
	if err != nil {
		return store.Delivery{}, fmt.Errorf("%w: %w", ErrNotStarted, err)
	}
	return del, nil
}
