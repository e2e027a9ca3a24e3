package admin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/domain"
	"gatehouse/internal/notify"
	"gatehouse/internal/outbound"
	"gatehouse/internal/signing"
)

// channelRequest is the body of POST and PUT /api/v1/channels.
type channelRequest struct {
	Name           string          `json:"name" validate:"required,max=255"`
	TargetURL      string          `json:"targetUrl" validate:"required,http_url,max=2048"`
	Method         string          `json:"method" validate:"omitempty,oneof=POST PUT PATCH GET"`
	TimeoutSeconds int             `json:"timeoutSeconds" validate:"omitempty,min=1,max=120"`
	Headers        []notify.Header `json:"headers" validate:"max=50,dive"`
	Events         []string        `json:"events" validate:"required,min=1,dive,required,max=128,printascii"`
	RetrySchedule  string          `json:"retrySchedule"`
	Status         string          `json:"status" validate:"omitempty,oneof=active disabled"`
	Secret         string          `json:"secret"`
}

func (s *server) channelFromRequest(c *gin.Context, id string) (*notify.Channel, string, bool) {
	var req channelRequest
	if !decodeStrict(c, &req) {
		return nil, "", false
	}
	var errs []domain.FieldError
	if err := validate.Struct(req); err != nil {
		errs = validationErrors(err)
	}
	for i, h := range req.Headers {
		if strings.ContainsAny(h.Name, " :\r\n") || strings.ContainsAny(h.Value, "\r\n") {
			errs = append(errs, domain.FieldError{Field: fmt.Sprintf("headers[%d]", i), Message: "header names and values cannot contain spaces, colons or line breaks"})
		}
	}
	for i, e := range req.Events {
		if err := notify.CheckChannelEvent(e); err != nil {
			errs = append(errs, domain.FieldError{Field: fmt.Sprintf("events[%d]", i), Message: err.Error()})
		}
	}
	if _, err := notify.ParseSchedule(req.RetrySchedule); err != nil {
		errs = append(errs, domain.FieldError{Field: "retrySchedule", Message: err.Error()})
	}
	if req.Secret != "" {
		if _, err := signing.ParseSecret(req.Secret); err != nil {
			errs = append(errs, domain.FieldError{Field: "secret", Message: err.Error()})
		}
	}
	if len(errs) > 0 {
		web.AbortFields(c, http.StatusBadRequest, "invalid_channel", errs)
		return nil, "", false
	}
	ch := &notify.Channel{ID: id, Name: req.Name, TargetURL: req.TargetURL, Method: req.Method, TimeoutSeconds: req.TimeoutSeconds,
		Headers: req.Headers, Events: req.Events, RetrySchedule: req.RetrySchedule, Status: req.Status}
	if ch.Method == "" {
		ch.Method = http.MethodPost
	}
	if ch.TimeoutSeconds == 0 {
		ch.TimeoutSeconds = notify.DefaultTimeoutSeconds
	}
	if ch.Status == "" {
		ch.Status = notify.ChannelActive
	}
	if ch.Headers == nil {
		ch.Headers = []notify.Header{}
	}
	return ch, req.Secret, true
}

func newChannelID() string { return "ch_" + strings.ToLower(rand.Text()[:20]) }

// createChannel answers with the secret once; afterwards it is write-only.
func (s *server) createChannel(c *gin.Context) {
	ch, secret, ok := s.channelFromRequest(c, newChannelID())
	if !ok {
		return
	}
	if secret == "" {
		secret = signing.NewSecret()
	}
	if _, err := s.Store.PutChannel(c, ch, secret); s.storeError(c, err, "channel") {
		return
	}
	stored, _, err := s.Store.GetChannel(c, ch.ID)
	if s.storeError(c, err, "channel") {
		return
	}
	c.JSON(http.StatusCreated, gin.H{"channel": masked(stored), "secret": secret})
}

func (s *server) putChannel(c *gin.Context) {
	id := c.Param("channelId")
	old, _, err := s.Store.GetChannel(c, id)
	if s.storeError(c, err, "channel") {
		return
	}
	ch, secret, ok := s.channelFromRequest(c, id)
	if !ok {
		return
	}
	notify.KeepMaskedHeaders(ch.Headers, old.Headers)
	if secret != "" {
		web.AbortFields(c, http.StatusBadRequest, "invalid_channel", []domain.FieldError{{Field: "secret", Message: "use POST /api/v1/channels/{id}/rotate-secret to change the secret"}})
		return
	}
	if _, err := s.Store.PutChannel(c, ch, ""); s.storeError(c, err, "channel") {
		return
	}
	stored, _, err := s.Store.GetChannel(c, id)
	if s.storeError(c, err, "channel") {
		return
	}
	c.JSON(http.StatusOK, masked(stored))
}

// masked hides credential-like header values: they are write-only, like
// the secret.
func masked(ch notify.Channel) notify.Channel {
	ch.Headers = notify.MaskedHeaders(ch.Headers)
	return ch
}

func (s *server) getChannel(c *gin.Context) {
	ch, _, err := s.Store.GetChannel(c, c.Param("channelId"))
	if s.storeError(c, err, "channel") {
		return
	}
	c.JSON(http.StatusOK, masked(ch))
}

func (s *server) listChannels(c *gin.Context) {
	list, err := s.Store.ListChannels(c)
	if s.storeError(c, err, "channel") {
		return
	}
	for i := range list {
		list[i] = masked(list[i])
	}
	c.JSON(http.StatusOK, gin.H{"channels": list})
}

func (s *server) deleteChannel(c *gin.Context) {
	if s.storeError(c, s.Store.DeleteChannel(c, c.Param("channelId")), "channel") {
		return
	}
	c.Status(http.StatusNoContent)
}

// rotateChannelSecret makes a new secret current; the old one keeps signing
// alongside it for notify.RotationOverlap.
func (s *server) rotateChannelSecret(c *gin.Context) {
	var req struct {
		Secret string `json:"secret"`
	}
	if c.Request.ContentLength > 0 && !decodeStrict(c, &req) {
		return
	}
	if req.Secret == "" {
		req.Secret = signing.NewSecret()
	} else if _, err := signing.ParseSecret(req.Secret); err != nil {
		web.AbortFields(c, http.StatusBadRequest, "invalid_secret", []domain.FieldError{{Field: "secret", Message: err.Error()}})
		return
	}
	until := time.Now().Add(notify.RotationOverlap).UTC()
	if s.storeError(c, s.Store.RotateChannelSecret(c, c.Param("channelId"), req.Secret, until), "channel") {
		return
	}
	c.JSON(http.StatusOK, gin.H{"secret": req.Secret, "previousSecretValidUntil": until})
}

// testChannel sends a HEAD to the target without the channel's headers, as
// Tyk's portal does, and reports status and latency.
func (s *server) testChannel(c *gin.Context) {
	ch, _, err := s.Store.GetChannel(c, c.Param("channelId"))
	if s.storeError(c, err, "channel") {
		return
	}
	client := outbound.NewClient(outbound.Options{Allow: s.Config.OutboundAllowCIDRs, UserAgent: notify.UserAgent})
	ctx, cancel := context.WithTimeout(c.Request.Context(), time.Duration(ch.TimeoutSeconds)*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, ch.TargetURL, nil)
	if err != nil {
		c.JSON(http.StatusOK, gin.H{"ok": false, "error": err.Error()})
		return
	}
	start := time.Now()
	resp, err := client.Do(req)
	latency := time.Since(start)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, outbound.ErrForbiddenAddress) {
			msg = "the target resolves to an address Gatehouse may not call (GATEHOUSE_OUTBOUND_ALLOW_CIDRS): " + msg
		}
		c.JSON(http.StatusOK, gin.H{"ok": false, "error": msg, "latencyMs": latency.Milliseconds()})
		return
	}
	resp.Body.Close()
	c.JSON(http.StatusOK, gin.H{"ok": resp.StatusCode < 400, "status": resp.StatusCode, "latencyMs": latency.Milliseconds()})
}

func (s *server) putCategory(c *gin.Context) {
	var req struct {
		GroupID string `json:"groupId" validate:"required,max=128"`
	}
	if !decodeStrict(c, &req) {
		return
	}
	if err := validate.Struct(req); err != nil {
		web.AbortFields(c, http.StatusBadRequest, "invalid_category", validationErrors(err))
		return
	}
	if s.storeError(c, s.Store.SetCategoryGroup(c, c.Param("categoryId"), req.GroupID), "category") {
		return
	}
	c.JSON(http.StatusOK, gin.H{"categoryId": c.Param("categoryId"), "groupId": req.GroupID})
}
