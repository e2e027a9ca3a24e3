package admin

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/dispatch"
	"gatehouse/internal/domain"
	"gatehouse/internal/store"
)

// deliveryFilter reads status, target (kind:id or id) and since (RFC 3339).
func deliveryFilter(c *gin.Context) (store.DeliveryFilter, bool) {
	f := store.DeliveryFilter{Status: c.Query("status"), EventID: c.Query("eventId")}
	var errs []domain.FieldError
	if f.Status != "" && !slices.Contains(domain.DeliveryStatuses, f.Status) {
		errs = append(errs, domain.FieldError{Field: "status", Message: "must be one of " + strings.Join(domain.DeliveryStatuses, ", ")})
	}
	if t := c.Query("target"); t != "" {
		kind, id, ok := strings.Cut(t, ":")
		if !ok {
			kind, id = "", t
		}
		if kind != "" && kind != domain.TargetTemplate && kind != domain.TargetChannel && kind != domain.TargetPortal {
			errs = append(errs, domain.FieldError{Field: "target", Message: "must be template:<id>, channel:<id>, portal:<id> or an id"})
		}
		f.TargetKind, f.TargetID = kind, id
	}
	if v := c.Query("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			errs = append(errs, domain.FieldError{Field: "since", Message: "must be an RFC 3339 time (2026-11-23T10:00:00Z)"})
		}
		f.Since = &t
	}
	if len(errs) > 0 {
		web.AbortFields(c, http.StatusBadRequest, "invalid_query", errs)
		return f, false
	}
	return f, true
}

func (s *server) listDeliveries(c *gin.Context) {
	f, ok := deliveryFilter(c)
	if !ok {
		return
	}
	f.Limit = 100
	list, err := s.Store.ListDeliveries(c, f)
	if s.storeError(c, err, "delivery") {
		return
	}
	c.JSON(http.StatusOK, gin.H{"deliveries": list})
}

func (s *server) getDelivery(c *gin.Context) {
	d, err := s.Store.GetDelivery(c, c.Param("deliveryId"))
	if s.storeError(c, err, "delivery") {
		return
	}
	attempts, err := s.Store.Attempts(c, d.ID)
	if s.storeError(c, err, "delivery") {
		return
	}
	out := gin.H{"delivery": d, "attempts": attempts}
	if d.TargetKind == domain.TargetTemplate {
		rs, err := s.Store.Recipients(c, d.ID)
		if s.storeError(c, err, "delivery") {
			return
		}
		if len(rs) > 0 {
			out["recipients"] = rs
		}
	}
	c.JSON(http.StatusOK, out)
}

// retryDelivery starts a finished delivery again; a running one is told to
// make its next attempt now.
func (s *server) retryDelivery(c *gin.Context) {
	d, err := s.Dispatcher.Retry(c, c.Param("deliveryId"))
	switch {
	case errors.Is(err, dispatch.ErrRunning):
		c.JSON(http.StatusAccepted, gin.H{"delivery": d, "action": "retry-now signalled"})
	case errors.Is(err, store.ErrNotFound):
		web.Abort(c, http.StatusNotFound, "delivery_not_found", "no such delivery")
	case errors.Is(err, dispatch.ErrApprovalCallback):
		web.Abort(c, http.StatusConflict, "approval_callback", err.Error())
	case err != nil:
		s.Log.Warn("retry delivery", "err", err)
		web.Abort(c, http.StatusServiceUnavailable, "unavailable", "the retry could not be started; retry")
	default:
		c.JSON(http.StatusAccepted, gin.H{"delivery": d, "action": "restarted"})
	}
}

func (s *server) cancelDelivery(c *gin.Context) {
	d, err := s.Store.GetDelivery(c, c.Param("deliveryId"))
	if s.storeError(c, err, "delivery") {
		return
	}
	if domain.Finished(d.Status) {
		web.Abort(c, http.StatusConflict, "delivery_finished", "the delivery already ended ("+d.Status+")")
		return
	}
	if err := s.Dispatcher.Cancel(c, d.ID); err != nil {
		web.Abort(c, http.StatusServiceUnavailable, "unavailable", "the cancel signal could not be sent: "+err.Error())
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"delivery": d, "action": "cancel signalled"})
}

// recoverDeliveries re-drives every failed delivery since T (required).
func (s *server) recoverDeliveries(c *gin.Context) {
	f, ok := deliveryFilter(c)
	if !ok {
		return
	}
	if f.Since == nil {
		web.AbortFields(c, http.StatusBadRequest, "invalid_query", []domain.FieldError{{Field: "since", Message: "is required (RFC 3339)"}})
		return
	}
	res, err := s.Dispatcher.Recover(c, f.TargetKind, f.TargetID, *f.Since, 100)
	if err != nil {
		s.Log.Warn("recover deliveries", "err", err)
		web.Abort(c, http.StatusServiceUnavailable, "unavailable", "recover stopped: "+err.Error())
		return
	}
	c.JSON(http.StatusAccepted, res)
}
