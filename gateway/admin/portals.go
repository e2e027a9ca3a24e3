package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/domain"
	"gatehouse/internal/portal"
	"gatehouse/internal/store"
)

func (s *server) validPortalID(c *gin.Context) {
	if !portal.ValidID(c.Param("portalId")) {
		web.AbortFields(c, http.StatusBadRequest, "invalid_portal_id", []domain.FieldError{{Field: "portalId", Message: portal.IDRule}})
	}
}

// putPortal creates or replaces a portal. adminToken, inboundSecret and
// standardWebhooksSecret are write-only: left out, the stored ones stay;
// "standardWebhooksSecret": "" removes the signature check.
func (s *server) putPortal(c *gin.Context) {
	id := c.Param("portalId")
	raw, err := io.ReadAll(c.Request.Body) // capped by web.LimitBody
	if err != nil {
		web.Abort(c, http.StatusRequestEntityTooLarge, "body_too_large", "the body is larger than 1 MiB")
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(raw))
	var p portal.Portal
	if !decodeStrict(c, &p) {
		return
	}
	var present map[string]json.RawMessage
	json.Unmarshal(raw, &present) //nolint:errcheck // decodeStrict parsed it
	if p.ID != "" && p.ID != id {
		web.AbortFields(c, http.StatusBadRequest, "invalid_field", []domain.FieldError{{Field: "id", Message: "does not match the path"}})
		return
	}
	p.ID = id
	p.ApplyDefaults()
	_, old, err := s.Store.GetPortal(c, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.Unavailable(c, err)
		return
	}
	probs := p.Validate(old.AdminToken != "")
	fields := make([]domain.FieldError, len(probs))
	for i, pr := range probs {
		fields[i] = domain.FieldError{Field: pr.Field, Message: pr.Reason}
	}
	if len(probs) == 0 {
		kinds := make([]string, 0, len(p.Approvals))
		for k := range p.Approvals {
			kinds = append(kinds, string(k))
		}
		slices.Sort(kinds)
		for _, k := range kinds {
			missing, err := s.missingChannels(c, p.Approvals[portal.Kind(k)], "approvals."+k)
			if err != nil {
				s.Unavailable(c, err)
				return
			}
			fields = append(fields, missing...)
		}
	}
	if len(fields) > 0 {
		web.AbortFields(c, http.StatusBadRequest, "invalid_portal", fields)
		return
	}
	var change store.PortalSecretsChange
	if p.AdminToken != "" {
		change.AdminToken = &p.AdminToken
	}
	if p.InboundSecret != "" {
		change.InboundSecretHash = portal.HashSecret(p.InboundSecret)
	}
	if _, ok := present["standardWebhooksSecret"]; ok {
		change.StandardWebhooksSecret = &p.StandardWebhooksSecret
	}
	saved, created, err := s.Store.PutPortal(c, p, change)
	if err != nil {
		s.Unavailable(c, err)
		return
	}
	answerPut(c, created, saved)
}

func (s *server) getPortal(c *gin.Context) {
	p, _, err := s.Store.GetPortal(c, c.Param("portalId"))
	if s.storeError(c, err, "portal") {
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *server) listPortals(c *gin.Context) {
	list, err := s.Store.ListPortals(c)
	if s.storeError(c, err, "portal") {
		return
	}
	c.JSON(http.StatusOK, gin.H{"portals": list})
}

// deletePortal removes a portal; its events stay.
func (s *server) deletePortal(c *gin.Context) {
	id := c.Param("portalId")
	if s.storeError(c, s.Store.DeletePortal(c, id), "portal") {
		return
	}
	c.JSON(http.StatusOK, gin.H{"deleted": id})
}

// generateInboundSecret answers the new secret once; only its hash is
// kept, and the previous secret stops working.
func (s *server) generateInboundSecret(c *gin.Context) {
	secret := portal.NewInboundSecret()
	if s.storeError(c, s.Store.SetInboundSecret(c, c.Param("portalId"), portal.HashSecret(secret)), "portal") {
		return
	}
	c.JSON(http.StatusOK, gin.H{"inboundSecret": secret})
}

// missingChannels names every approver channel of pol that does not exist:
// an approval would otherwise wait for a vote nobody is asked for.
func (s *server) missingChannels(ctx context.Context, pol *portal.Policy, field string) ([]domain.FieldError, error) {
	var out []domain.FieldError
	fields, ids := pol.ChannelFields(field)
	for i, id := range ids {
		_, _, err := s.Store.GetChannel(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			out = append(out, domain.FieldError{Field: fields[i], Message: fmt.Sprintf("no channel %q (create it with POST /api/v1/channels)", id)})
		case err != nil:
			return nil, err
		}
	}
	return out, nil
}
