package admin

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/domain"
	"gatehouse/internal/portal"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

var approvalStatuses = []string{domain.ApprovalPending, domain.ApprovalUnresolved, domain.ApprovalApproved, domain.ApprovalRejected,
	domain.ApprovalExpired, domain.ApprovalEscalated, domain.ApprovalPortalError}

type decideBody struct {
	ByUser string `json:"byUser"`
	Reason string `json:"reason"`
}

// decideApproval votes through the decide Update. The decision id is
// derived from (approval, byUser, decision): a retried POST is the same
// Update and is counted once.
func (s *server) decideApproval(d portal.Decision) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.Param("approvalId")
		raw, err := io.ReadAll(c.Request.Body) // capped by web.LimitBody
		if err != nil {
			web.Abort(c, http.StatusRequestEntityTooLarge, "too_large", "the body is too large")
			return
		}
		var b decideBody
		if err := json.Unmarshal(raw, &b); err != nil {
			web.Abort(c, http.StatusBadRequest, "invalid_json", "the body must be {\"byUser\":\"...\",\"reason\":\"...\"}")
			return
		}
		var errs []domain.FieldError
		b.ByUser = strings.TrimSpace(b.ByUser)
		if b.ByUser == "" || len(b.ByUser) > 254 || strings.ContainsFunc(b.ByUser, isControl) {
			errs = append(errs, domain.FieldError{Field: "byUser", Message: "is required: the approver's email, at most 254 bytes, no control characters"})
		}
		if len(b.Reason) > 1000 || strings.ContainsFunc(b.Reason, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }) {
			errs = append(errs, domain.FieldError{Field: "reason", Message: "at most 1000 bytes, no control characters"})
		}
		if len(errs) > 0 {
			web.AbortFields(c, http.StatusBadRequest, "invalid_decision", errs)
			return
		}
		sum := sha256.Sum256([]byte(id + "\x00" + strings.ToLower(b.ByUser) + "\x00" + string(d)))
		in := workflows.DecideInput{DecisionID: "api-" + hex.EncodeToString(sum[:16]), Approver: b.ByUser, Decision: d,
			Reason: b.Reason, Via: domain.ViaAPI}
		st, err := workflows.DecideApproval(c, s.Temporal, id, in)
		if err != nil {
			s.decideError(c, id, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"state": newApprovalState(st)})
	}
}

// decideError answers a refused or failed vote. Exported for the link
// pages through DecideStatus.
func (s *server) decideError(c *gin.Context, id string, err error) {
	status, code, msg := DecideStatus(c, s.Store, id, err)
	if status == http.StatusServiceUnavailable {
		s.Log.Warn("decide approval", "approval", id, "err", err)
	}
	web.Abort(c, status, code, msg)
}

// DecideStatus maps a DecideApproval error to HTTP: refused votes to
// 400/403/409, a closed approval to 409 naming who decided what and when
// (404 when there is none), anything else to 503.
func DecideStatus(ctx context.Context, st *store.Store, id string, err error) (int, string, string) {
	if errors.Is(err, workflows.ErrApprovalClosed) {
		a, _, _, gerr := st.GetApproval(ctx, id)
		switch {
		case errors.Is(gerr, store.ErrNotFound):
			return http.StatusNotFound, "approval_not_found", "no such approval"
		case gerr != nil:
			return http.StatusServiceUnavailable, "unavailable", "the approval could not be read; retry"
		}
		return http.StatusConflict, "already_decided", closedText(a)
	}
	typ, msg := workflows.ApprovalErrorType(err)
	switch typ {
	case workflows.ErrTypeAlreadyDecided:
		return http.StatusConflict, "already_decided", msg
	case workflows.ErrTypeAlreadyVoted:
		return http.StatusConflict, "already_voted", msg
	case workflows.ErrTypeUnresolved:
		return http.StatusConflict, "unresolved", msg
	case workflows.ErrTypeNotAnApprover:
		return http.StatusForbidden, "not_an_approver", msg
	case workflows.ErrTypeBadDecision:
		return http.StatusBadRequest, "invalid_decision", msg
	}
	return http.StatusServiceUnavailable, "unavailable", "the decision could not be delivered; retry (it is counted once)"
}

func closedText(a store.Approval) string {
	s := "the approval is " + a.Status
	if a.DecidedBy != nil {
		s += " by " + *a.DecidedBy
	}
	if a.DecidedAt != nil {
		s += " at " + a.DecidedAt.UTC().Format(time.RFC3339)
	}
	if a.DecidedVia != nil {
		s += " via " + *a.DecidedVia
	}
	return s
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// listApprovals: ?status=&kind=&portal=&cursor= (keyset over created_at, id).
func (s *server) listApprovals(c *gin.Context) {
	f := store.ApprovalFilter{Status: c.Query("status"), Kind: c.Query("kind"), PortalID: c.Query("portal"), Limit: 100}
	var errs []domain.FieldError
	if f.Status != "" && !slices.Contains(approvalStatuses, f.Status) {
		errs = append(errs, domain.FieldError{Field: "status", Message: "must be one of " + strings.Join(approvalStatuses, ", ")})
	}
	if f.Kind != "" {
		if !slices.Contains(portal.AllKinds(), portal.Kind(f.Kind)) {
			names := make([]string, 0, 4)
			for _, k := range portal.AllKinds() {
				names = append(names, string(k))
			}
			errs = append(errs, domain.FieldError{Field: "kind", Message: portal.UnknownName("kind", f.Kind, names).Error()})
		}
	}
	if f.PortalID != "" && !portal.ValidID(f.PortalID) && !site.ValidID(f.PortalID) {
		errs = append(errs, domain.FieldError{Field: "portal", Message: portal.IDRule})
	}
	if cur := c.Query("cursor"); cur != "" {
		at, id, ok := decodeCursor(cur)
		if !ok {
			errs = append(errs, domain.FieldError{Field: "cursor", Message: "is not a cursor this API gave out"})
		}
		f.AfterCreated, f.AfterID = at, id
	}
	if len(errs) > 0 {
		web.AbortFields(c, http.StatusBadRequest, "invalid_query", errs)
		return
	}
	list, err := s.Store.ListApprovals(c, f)
	if s.storeError(c, err, "approval") {
		return
	}
	out := gin.H{"approvals": list}
	if len(list) == f.Limit {
		last := list[len(list)-1]
		out["nextCursor"] = encodeCursor(last.CreatedAt, last.ID)
	}
	c.JSON(http.StatusOK, out)
}

func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(s string) (time.Time, string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", false
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	at, err := time.Parse(time.RFC3339Nano, ts)
	return at, id, ok && err == nil && id != ""
}

// getApproval: the row, votes, audit trail and (while it runs or its
// history is kept) the workflow's live state.
func (s *server) getApproval(c *gin.Context) {
	id := c.Param("approvalId")
	a, votes, audit, err := s.Store.GetApproval(c, id)
	if s.storeError(c, err, "approval") {
		return
	}
	out := gin.H{"approval": a, "votes": votes, "audit": audit}
	ctx, cancel := context.WithTimeout(c, 3*time.Second)
	defer cancel()
	if v, err := s.Temporal.QueryWorkflow(ctx, id, "", workflows.ApprovalStateQuery); err == nil {
		var st workflows.ApprovalState
		if v.Get(&st) == nil {
			out["state"] = newApprovalState(st)
		}
	} else {
		out["stateError"] = fmt.Sprintf("live state unavailable: %v", err)
	}
	c.JSON(http.StatusOK, out)
}
