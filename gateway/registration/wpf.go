package registration

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/domain"
	"gatehouse/internal/mapping"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

// Query parameters that steer the call rather than describe the contact.
var wpfControl = []string{"wpf_action", "access_key", "send_notification", "role", "return_password"}

// wpfWebhook is WP Fusion's webhook API for Kartra and other CRMs:
// ?wpf_action=add|update|update_tags|test&access_key=<registrationKey>.
func (s *server) wpfWebhook(c *gin.Context) {
	receivedAt := time.Now().UTC()
	st, keyHash, ok := s.loadWebhookSite(c)
	if !ok {
		return
	}
	if !keyMatches(c.Query("access_key"), keyHash) {
		c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"success": false, "code": "invalid_key", "message": "Invalid Access Key"})
		return
	}
	action := c.Query("wpf_action")
	if action == "test" {
		c.JSON(http.StatusOK, gin.H{"success": true, "message": "Success: connection to " + st.Name + " works"})
		return
	}
	if action != "add" && action != "update" && action != "update_tags" {
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"success": false, "code": "invalid_action",
			"message": "wpf_action must be add, update, update_tags or test"})
		return
	}
	// Kartra posts form data; other CRMs post JSON. Accept both, whatever the
	// site's postContentType (that setting is for the Kaltura webhook).
	isJSON := c.ContentType() == "application/json"
	wpfSite := *st
	wpfSite.Registration.SendErrorResponseAsJSON = true
	fields, ok := readFields(c, &wpfSite, mapping.ParseOptions{JSON: isJSON})
	if !ok {
		return
	}
	for k, v := range c.Request.URL.Query() {
		if _, taken := fields[k]; !taken && !slices.Contains(wpfControl, k) && len(v) > 0 {
			fields[k] = v[0]
		}
	}
	fields = mapping.KartraNames(st, mapping.UnwrapLead(fields))
	r := mapping.Apply(st, fields)
	if _, has := fields["tags"]; has {
		r.Tags = mapping.ParseTags(fields["tags"])
	}
	sub := workflows.Submission{RequestID: web.RequestID(), ReceivedAt: receivedAt, Registrant: r, Source: "wpf"}
	switch action {
	case "add":
		// WP Fusion creates a user from an email alone: names are optional.
		if errs := mapping.ValidateContact(st, r); len(errs) > 0 {
			wpfInvalid(c, errs[0])
			return
		}
		sub.Action = domain.ActionRegister
		// return_password: the CRM sends the link itself, so Gatehouse does not.
		notify := c.Query("send_notification") == "true" && c.Query("return_password") != "true"
		sub.SendEmail = &notify
		sub.ExplicitRole = s.wpfRole(c, st, &sub.Registrant)
	case "update", "update_tags":
		if r.Email == "" {
			wpfInvalid(c, domain.FieldError{Field: st.Registration.MandatoryFieldsMapping.EmailWebhookKey, Message: "is required"})
			return
		}
		if st.Kartra.Configured() {
			var ok bool
			if fields, r, ok = s.pullFromKartra(c, st, fields, r); !ok {
				return
			}
			sub.Registrant = r
		}
		if _, err := s.Store.GetUser(c, st.ID, mapping.UserID(st.ID, r.Email)); errors.Is(err, store.ErrNotFound) {
			// 200 so the CRM does not retry a contact that is not a user here.
			c.JSON(http.StatusOK, gin.H{"success": true, "status": "ignored", "message": "no user with that email on this site; nothing updated"})
			return
		} else if err != nil {
			s.Unavailable(c, err)
			return
		}
		sub.Action = domain.ActionUpdate
		if action == "update_tags" {
			if r.Tags == nil {
				wpfInvalid(c, domain.FieldError{Field: "tags", Message: "is required for update_tags"})
				return
			}
			sub.Action = domain.ActionTags
			sub.Registrant = mapping.Registrant{Email: r.Email, Tags: r.Tags}
		} else {
			sub.ExplicitRole = s.wpfRole(c, st, &sub.Registrant)
		}
	}
	userID := mapping.UserID(st.ID, r.Email)
	wfID, err := s.SignalRegistration(c, st.ID, userID, r.Email, workflows.RegistrationSubmitSignal, sub)
	if err != nil {
		s.Log.Warn("wpf webhook: temporal unavailable", "site", st.ID, "error", err)
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"success": false, "code": "unavailable",
			"message": "temporarily unavailable; nothing was accepted, retry later"})
		return
	}
	answer := gin.H{"success": true, "status": "accepted", "action": action, "userId": userID, "workflowId": wfID}
	if action == "add" && c.Query("return_password") == "true" && !s.returnLink(c, st, userID, answer) {
		return
	}
	c.JSON(http.StatusOK, answer)
}

// wpfDefaultRole is WP Fusion's role for new users without ?role= ("By
// default users will be assigned the role of subscriber"), used when the
// site has it; otherwise the site's defaultRole.
const wpfDefaultRole = "subscriber"

// wpfRole applies ?role=: one of the site's roles, never an admin role.
// It reports whether a role was chosen explicitly.
func (s *server) wpfRole(c *gin.Context, st *site.Site, r *mapping.Registrant) bool {
	role := c.Query("role")
	switch {
	case role == "" && c.Query("wpf_action") == "add" && slices.Contains(st.Roles, wpfDefaultRole):
		r.Role = wpfDefaultRole // applies to new users only (not explicit)
		return false
	case role == "":
		return false
	case slices.Contains(site.AdminRoles, role):
		r.Notes = append(r.Notes, "role "+role+" refused (admin roles cannot come from a CRM): used "+r.Role)
		s.Log.Warn("wpf: admin role refused", "site", st.ID, "role", role)
		return false
	case !slices.Contains(st.Roles, role):
		r.Notes = append(r.Notes, "unknown role "+role+": used "+r.Role)
		s.Log.Warn("wpf: unknown role, default used", "site", st.ID, "role", role, "default", r.Role)
		return false
	}
	r.Role = role
	return true
}

// pullFromKartra is WP Fusion's update with the contact's data pulled
// from Kartra: Kartra's fields and tags win over the request's (Kartra's
// outbound API sends little more than the email). A contact Kartra does
// not know keeps the request's fields; Kartra unreachable is a 503, so
// the CRM retries and nothing half-applied is accepted.
func (s *server) pullFromKartra(c *gin.Context, st *site.Site, fields mapping.Fields, r mapping.Registrant) (mapping.Fields, mapping.Registrant, bool) {
	lead, err := s.kartraLead(c, st.Kartra, r.Email)
	switch {
	case errors.Is(err, errKartraNoLead):
		return fields, r, true
	case err != nil:
		s.Log.Warn("wpf: kartra unavailable", "site", st.ID, "error", err)
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"success": false, "code": "kartra_unavailable",
			"message": "could not read the contact from Kartra; nothing was accepted, retry later"})
		return nil, r, false
	}
	email := fields[st.Registration.MandatoryFieldsMapping.EmailWebhookKey]
	for k, v := range lead {
		fields[k] = v
	}
	// Kartra's names fill the site's keys; the request's email names the user.
	m := st.Registration.MandatoryFieldsMapping
	for key, kartra := range map[string]string{m.FirstNameWebhookKey: "first_name", m.LastNameWebhookKey: "last_name"} {
		if _, has := lead[kartra]; has && key != kartra {
			delete(fields, key)
		}
	}
	fields = mapping.KartraNames(st, fields)
	fields[st.Registration.MandatoryFieldsMapping.EmailWebhookKey] = email
	next := mapping.Apply(st, fields)
	next.Notes = append(next.Notes, "contact data pulled from Kartra")
	if _, has := fields["tags"]; has {
		next.Tags = mapping.ParseTags(fields["tags"])
	}
	return fields, next, true
}

func wpfInvalid(c *gin.Context, e domain.FieldError) {
	c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"success": false, "code": "invalid_field", "message": e.Field + ": " + e.Message})
}
