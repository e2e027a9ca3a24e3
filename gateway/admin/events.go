package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/domain"
	"gatehouse/internal/store"
)

// eventRequest is the body of POST /api/v1/events: an event about an
// object that lives outside Gatehouse (or inside: any type is accepted).
type eventRequest struct {
	EventType       string          `json:"eventType" validate:"required,max=128,printascii"`
	EventObjectType string          `json:"eventObjectType" validate:"required,max=128,printascii"`
	ObjectID        string          `json:"objectId" validate:"required,max=128"`
	Object          json.RawMessage `json:"object" validate:"required"`
	ChangedFields   []string        `json:"changedFields" validate:"max=200,dive,max=128"`
	OccurredAt      *time.Time      `json:"occurredAt"`
	Source          string          `json:"source" validate:"max=64"`
}

// postEvent stores an event and answers once it is committed in MySQL; its
// deliveries start after the answer: on the gateway's fast path ("dispatch":
// "started") or, when that is full or off, by the relay ("queued"). Either
// way nothing accepted is lost: the relay starts whatever the fast path did
// not.
func (s *server) postEvent(c *gin.Context) {
	// The whole request counts as an accept: it is what the caller waits for.
	defer s.Dispatcher.Priority.Accepting()()
	raw, err := io.ReadAll(c.Request.Body) // capped by web.LimitBody
	if err != nil {
		web.Abort(c, http.StatusRequestEntityTooLarge, "body_too_large", "the body is larger than 1 MiB")
		return
	}
	key := strings.TrimSpace(c.GetHeader("Idempotency-Key"))
	if len(key) > 255 {
		web.AbortFields(c, http.StatusBadRequest, "invalid_header", []domain.FieldError{{Field: "Idempotency-Key", Message: "must be at most 255 characters"}})
		return
	}
	var req eventRequest
	c.Request.Body = io.NopCloser(bytes.NewReader(raw))
	if !decodeStrict(c, &req) {
		return
	}
	if err := validate.Struct(req); err != nil {
		web.AbortFields(c, http.StatusBadRequest, "invalid_event", validationErrors(err))
		return
	}
	var obj map[string]any
	if err := json.Unmarshal(req.Object, &obj); err != nil {
		web.AbortFields(c, http.StatusBadRequest, "invalid_event", []domain.FieldError{{Field: "object", Message: "must be a JSON object"}})
		return
	}
	now := time.Now().UTC()
	at := now
	if req.OccurredAt != nil {
		at = req.OccurredAt.UTC()
	}
	if req.Source == "" {
		req.Source = "api"
	}
	ev := domain.Event{ID: domain.NewEventID(now), EventType: req.EventType, EventObjectType: req.EventObjectType,
		ObjectID: req.ObjectID, Object: req.Object, ChangedFields: req.ChangedFields, Source: req.Source, OccurredAt: at}
	rec, err := s.Dispatcher.Record(c, ev, key, raw)
	if errors.Is(err, store.ErrIdempotencyMismatch) {
		web.Abort(c, http.StatusConflict, "idempotency_key_reused", "Idempotency-Key was already used within 24 h for a different request")
		return
	}
	if err != nil {
		s.Log.Warn("accept event", "err", err)
		web.Abort(c, http.StatusServiceUnavailable, "store_unavailable", "MySQL is unavailable; nothing was stored, retry")
		return
	}
	id := rec.Event.ID
	status := http.StatusAccepted
	if !rec.Created {
		status = http.StatusOK // the first result, nothing new
	}
	dispatch := "started"
	if rec.Queued {
		dispatch = "queued"
	}
	// The deliveries start after this answer: GET /api/v1/events/{id} lists them.
	c.JSON(status, gin.H{"eventId": id, "created": rec.Created, "dispatch": dispatch})
}

func (s *server) getEvent(c *gin.Context) {
	se, err := s.Store.GetEvent(c, c.Param("eventId"))
	if s.storeError(c, err, "event") {
		return
	}
	deliveries, err := s.Store.ListDeliveries(c, store.DeliveryFilter{EventID: se.ID, Limit: 1000})
	if s.storeError(c, err, "event") {
		return
	}
	c.JSON(http.StatusOK, gin.H{"event": se, "deliveries": deliveries})
}

// listEvents is GET /api/v1/events?eventType=&eventObjectType=&source=&before=&limit=,
// newest first; nextBefore continues the list.
func (s *server) listEvents(c *gin.Context) {
	limit := 100
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			web.AbortFields(c, http.StatusBadRequest, "invalid_query", []domain.FieldError{{Field: "limit", Message: "must be 1-1000"}})
			return
		}
		limit = n
	}
	list, err := s.Store.ListEvents(c, store.EventFilter{EventType: c.Query("eventType"), EventObjectType: c.Query("eventObjectType"),
		Source: c.Query("source"), Before: c.Query("before"), Limit: limit})
	if s.storeError(c, err, "event") {
		return
	}
	out := gin.H{"events": list}
	if len(list) == limit {
		out["nextBefore"] = list[len(list)-1].ID
	}
	c.JSON(http.StatusOK, out)
}
