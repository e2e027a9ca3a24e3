package activities

import (
	"context"
	"errors"
	"strings"

	"gatehouse/internal/notify"
	"gatehouse/internal/store"
)

// builtinValues resolves Kaltura's built-in email tokens for an event: the
// owner ({event.object.userId}) is looked up among the users only when the
// template names {owner_name} or {owner_email}, the partner name (the
// site's name) only when it names {partner_name}. An owner who is not a
// user leaves the name as the id and the email empty; a failed lookup is
// an error, retried like any other.
func (a *Deliverer) builtinValues(ctx context.Context, t *notify.NotificationTemplate, ev *notify.Event) (map[string]string, error) {
	var owner *notify.Owner
	if id := notify.OwnerID(ev); id != "" && t.UsesOwner() {
		c, err := a.DB.UserContact(ctx, id, ev.SiteID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			owner = &notify.Owner{Name: strings.TrimSpace(c.FirstName + " " + c.LastName), Email: c.Email}
		}
	}
	partner := ""
	if ev.SiteID != nil && strings.Contains(t.Subject+t.Body, "{partner_name}") {
		st, _, err := a.DB.GetSite(ctx, *ev.SiteID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			partner = st.Name
		}
	}
	return notify.BuiltinValues(ev, owner, partner), nil
}
