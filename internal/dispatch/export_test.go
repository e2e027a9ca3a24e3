package dispatch

import (
	"context"
	"time"

	"gatehouse/internal/domain"
	"gatehouse/internal/notify"
)

// RelayOnce runs one relay round with the relay's batch size.
func RelayOnce(ctx context.Context, d *Dispatcher, grace time.Duration) (int, error) {
	return d.relayOnce(ctx, grace, 200)
}

// Matcher is the matcher one relay batch shares.
type Matcher = matcher

// NewMatcher makes a relay batch's matcher.
func NewMatcher(d *Dispatcher) *Matcher { return newMatcher(d) }

// Match matches one event as the relay does.
func (m *matcher) Match(ctx context.Context, se domain.StoredEvent) ([]Target, error) {
	return m.match(ctx, notify.EventFrom(se))
}

// FastPathIdle reports whether the fast path has nothing queued or running.
func FastPathIdle(d *Dispatcher) bool {
	d.fast.mu.Lock()
	defer d.fast.mu.Unlock()
	return d.fast.running == 0 && len(d.fast.queue) == 0
}

// TakeSlot uses up the current busy slot, as a round that just ran would.
func TakeSlot(p *Priority) {
	p.mu.Lock()
	p.last = time.Now()
	p.mu.Unlock()
}

// NewPriorityAt is a Priority busy from perSecond accepts a second,
// whatever the machine's cores.
func NewPriorityAt(perSecond int) *Priority { return newPriority(perSecond) }
