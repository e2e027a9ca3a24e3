// Package portal speaks the Tyk Enterprise Developer Portal's webhook
// protocol: the portal posts {"Event", "Message", "Timestamp"} for its 14
// events (../shared/seeds/002_*.txt, and the portal's OpenAPI document,
// portal 1.14: Webhook-create.Events) to /webhooks/portal/{portalId}, with
// the method its webhook is configured with (POST or PUT). The domain side
// (names, messages, identities) is internal/portal; the portals themselves
// are managed through gateway/admin (/api/v1/portals).
package portal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/domain"
	"gatehouse/internal/iprules"
	"gatehouse/internal/portal"
	"gatehouse/internal/ratelimit"
	"gatehouse/internal/signing"
	"gatehouse/internal/store"
)

type server struct {
	*web.Deps
	limiter *ratelimit.Limiter
}

// Mount adds the portal webhook to r.
func Mount(r *gin.Engine, d *web.Deps) {
	s := &server{Deps: d, limiter: web.NewLimiter(d.Config.RatePortal)}
	r.POST("/webhooks/portal/:portalId", s.ingest)
	r.PUT("/webhooks/portal/:portalId", s.ingest)
	// The portal's Test Connection sends no custom headers: HEAD answers
	// 200 for any id and says nothing about whether the portal exists.
	r.HEAD("/webhooks/portal/:portalId", func(c *gin.Context) { c.Status(http.StatusOK) })
}

func unauthorized(c *gin.Context) {
	web.Abort(c, http.StatusUnauthorized, "invalid_secret", "inbound secret missing or wrong")
}

// ingest accepts one portal event. The checks run cheapest first; the
// answer is 202 once the event and its outbox row are committed together
// (and, for an event that starts an approval, its workflow is started),
// 200 with the first event's id for a duplicate, 503 with nothing stored
// when MySQL fails or an approval's workflow cannot be started.
func (s *server) ingest(c *gin.Context) {
	// The whole request counts as an accept: it is what the portal waits for.
	defer s.Dispatcher.Priority.Accepting()()
	if msg, ok := web.Allow(c, s.limiter, web.ClientIP(c)); !ok {
		web.Abort(c, http.StatusTooManyRequests, "rate_limited", msg)
		return
	}
	id := c.Param("portalId")
	if !portal.ValidID(id) {
		unauthorized(c) // the same answer as an unknown portal
		return
	}
	p, sec, err := s.Store.GetPortal(c, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		unauthorized(c)
		return
	case err != nil:
		s.Unavailable(c, err)
		return
	}
	rules, err := iprules.Parse(p.AllowedAddresses)
	addr, perr := netip.ParseAddr(c.ClientIP())
	if err != nil || perr != nil || !rules.Allows(addr) {
		web.Abort(c, http.StatusForbidden, "address_not_allowed", "requests from "+c.ClientIP()+" are not allowed")
		return
	}
	if !portal.SecretMatches(sec.InboundSecretHash, c.GetHeader(p.InboundHeader)) {
		unauthorized(c)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, portal.MaxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		web.Abort(c, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body is larger than %d bytes", portal.MaxBody))
		return
	case err != nil:
		web.Abort(c, http.StatusBadRequest, "unreadable_body", "the body could not be read")
		return
	}
	if sec.StandardWebhooksSecret != "" {
		if err := signing.VerifyStandard(sec.StandardWebhooksSecret, c.Request.Header, body, time.Now()); err != nil {
			web.Abort(c, http.StatusUnauthorized, "invalid_signature", "Standard Webhooks signature: "+err.Error())
			return
		}
	}
	ev, err := portal.Decode(body)
	if err == nil && (ev.Timestamp.UTC().Year() < 1000 || ev.Timestamp.UTC().Year() > 9999) {
		err = &portal.InvalidError{Problems: []portal.Problem{{Field: "Timestamp", Reason: "must be between the years 1000 and 9999"}}}
	}
	var invalid *portal.InvalidError
	if errors.As(err, &invalid) {
		fields := make([]domain.FieldError, len(invalid.Problems))
		for i, pr := range invalid.Problems {
			fields[i] = domain.FieldError{Field: pr.Field, Message: pr.Reason}
		}
		web.AbortFields(c, http.StatusBadRequest, "invalid_event", fields)
		return
	}
	if err != nil {
		web.Abort(c, http.StatusBadRequest, "invalid_event", err.Error())
		return
	}
	s.accept(c, p, ev)
}

// startTimeout bounds the approval's start inside the event's transaction
// (the transaction holds a connection and the dedup key meanwhile).
const startTimeout = 5 * time.Second

func (s *server) accept(c *gin.Context, p portal.Portal, ev *portal.Event) {
	portalID := p.ID
	now := time.Now().UTC()
	eventID := domain.NewEventID(now)
	key := ev.DedupKey()
	pe := store.PortalEvent{ID: eventID, PortalID: portalID, DedupKey: key[:], EventName: ev.Name, SentName: ev.SentName,
		EntityID: ev.EntityID(), PortalTimestamp: ev.Timestamp, Message: ev.Message, ReceivedAt: now}
	de := domain.Event{ID: eventID, EventType: ev.Name, EventObjectType: domain.ObjectTypePortalEvent,
		ObjectID: ev.ObjectID(portalID), Object: ev.Message, Source: "portal:" + portalID, OccurredAt: now,
		SentTimestamp: ev.RawTimestamp}
	// An event that starts an approval is accepted only with its workflow:
	// the start runs inside the transaction, and a failed start stores
	// nothing, so the portal's retry is a new event, not a duplicate of a
	// half-stored one. Other events are durable once committed: the relay
	// starts their deliveries if the fast path below fails.
	var durable func(context.Context) error
	var startErr error
	if st, ok := ev.StartsApproval(); ok && p.Approvals[st.Kind] != nil {
		durable = func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, startTimeout)
			defer cancel()
			startErr = s.Dispatcher.StartApproval(ctx, domain.StoredEvent{Event: de})
			return startErr
		}
	}
	firstID, created, err := s.Store.AcceptPortalEventWith(c, pe, de, durable)
	if err != nil {
		c.Header("Retry-After", "30")
		if startErr != nil {
			s.Log.Warn("portal event: approval not started", "portal", portalID, "event", ev.Name, "error", err)
			web.Abort(c, http.StatusServiceUnavailable, "unavailable", "Temporal is unavailable; the approval was not started and nothing was stored, retry")
			return
		}
		s.Log.Warn("portal event: store", "portal", portalID, "event", ev.Name, "error", err)
		web.Abort(c, http.StatusServiceUnavailable, "unavailable", "MySQL is unavailable; nothing was stored, retry")
		return
	}
	if !created {
		c.JSON(http.StatusOK, gin.H{"status": "duplicate", "eventId": firstID})
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"status": "accepted", "eventId": eventID, "dispatch": s.dispatch(c, eventID)})
}

// dispatch hands the event to the gateway's fast path, which starts its
// deliveries (and approvals) after the answer; whatever it does not finish
// the relay starts from the outbox, so the event is accepted either way.
func (s *server) dispatch(ctx context.Context, eventID string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	se, err := s.Store.GetEvent(ctx, eventID)
	if err != nil {
		s.Log.Warn("portal event: dispatch queued", "event_id", eventID, "error", err)
		return "queued"
	}
	if !s.Dispatcher.Behind(se) {
		return "queued"
	}
	return "started"
}
