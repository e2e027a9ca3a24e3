package notify

import (
	"fmt"
	"slices"
	"strconv"

	"gatehouse/internal/domain"
	"gatehouse/internal/portal"
)

// gatehouseEvents are the event types Gatehouse emits itself.
var gatehouseEvents = []string{
	domain.EventUserRegistered, domain.EventUserUpdated, domain.EventUserAccountActivated, domain.EventUserAccountDeactivated, domain.EventUserDeleted,
	domain.EventRegistrationLinkSent, domain.EventRegistrationConfirmed, domain.EventRegistrationExpired,
	// activities.EventTargetDisabled (activities imports notify).
	"TargetDisabled",
	// The portal approvals' events (DESIGN.md in internal/portal).
	"ApprovalRequested", "ApprovalReminded", "ApprovalEscalated", "ApprovalDecided", "ApprovalExpired",
}

// EventCatalogue lists the event names channels know: the Tyk portal's 14
// (Organisation* spelling), then Gatehouse's own. Kaltura's event types are
// the numbers 1-12.
func EventCatalogue() []string {
	out := portal.EventNames()
	for _, n := range gatehouseEvents {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// CheckChannelEvent checks one event name of a channel. A catalogue name
// or a Kaltura number passes; a name close to a catalogue name is a
// misspelling and fails naming the closest one. Other names pass: they are
// event types callers post to /api/v1/events themselves.
func CheckChannelEvent(name string) error {
	if n, err := strconv.Atoi(name); err == nil {
		if n < 1 || n > 12 {
			return fmt.Errorf("Kaltura event types are 1-12, not %d", n)
		}
		return nil
	}
	if canonical, ok := portal.Canonical(name); ok && canonical != name {
		return fmt.Errorf("unknown event %q; did you mean %q? (stored with the portal's Organisation* spelling)", name, canonical)
	}
	cat := EventCatalogue()
	if slices.Contains(cat, name) {
		return nil
	}
	if _, ok := portal.Closest(name, cat); ok {
		return portal.UnknownName("event", name, cat)
	}
	return nil
}
