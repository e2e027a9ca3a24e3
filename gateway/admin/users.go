package admin

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/domain"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

// listUsers is GET /api/v1/sites/{siteId}/users?email=&status=&group=&page=&pageSize=.
func (s *server) listUsers(c *gin.Context) {
	f := store.UserFilter{Email: c.Query("email"), Status: c.Query("status"), Group: c.Query("group"), Page: 1, PageSize: 50}
	var bad []domain.FieldError
	if v := c.Query("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			bad = append(bad, domain.FieldError{Field: "page", Message: "must be a whole number from 1"})
		}
		f.Page = n
	}
	if v := c.Query("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			bad = append(bad, domain.FieldError{Field: "pageSize", Message: "must be a whole number from 1 to 500"})
		}
		f.PageSize = n
	}
	switch f.Status {
	case "", domain.UserPending, domain.UserActive, domain.UserBlocked:
	default:
		bad = append(bad, domain.FieldError{Field: "status", Message: "must be pending, active or blocked"})
	}
	if len(bad) > 0 {
		web.AbortFields(c, http.StatusBadRequest, "invalid_query", bad)
		return
	}
	if _, _, err := s.Store.GetSite(c, c.Param("siteId")); s.storeError(c, err, "site") {
		return
	}
	users, total, err := s.Store.ListUsers(c, c.Param("siteId"), f)
	if err != nil {
		s.Unavailable(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"objects": users, "totalCount": total})
}

func (s *server) getUser(c *gin.Context) {
	u, err := s.Store.GetUser(c, c.Param("siteId"), c.Param("userId"))
	if s.storeError(c, err, "user") {
		return
	}
	c.JSON(http.StatusOK, u)
}

// deleteUser removes the user (recording UserDeleted) and cancels a
// registration still waiting for them.
func (s *server) deleteUser(c *gin.Context) {
	siteID, userID := c.Param("siteId"), c.Param("userId")
	if s.storeError(c, s.Store.DeleteUser(c, siteID, userID, "api"), "user") {
		return
	}
	s.cancelRegistration(c, siteID, userID)
	c.JSON(http.StatusOK, gin.H{"deleted": userID})
}

// resendLink issues a new link with the template of the current phase.
func (s *server) resendLink(c *gin.Context) {
	siteID, userID := c.Param("siteId"), c.Param("userId")
	u, err := s.Store.GetUser(c, siteID, userID)
	if s.storeError(c, err, "user") {
		return
	}
	if u.Status != domain.UserPending {
		web.Abort(c, http.StatusConflict, "not_pending", "the user is "+u.Status+": only pending users get links")
		return
	}
	wfID, err := s.SignalRegistration(c, siteID, userID, u.Email, workflows.RegistrationResendSignal,
		workflows.Resend{RequestID: web.RequestID(), RequestedAt: time.Now().UTC()})
	if err != nil {
		s.Unavailable(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"status": "accepted", "userId": userID, "workflowId": wfID})
}
