package registration

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/domain"
	"gatehouse/internal/iprules"
	"gatehouse/internal/linktoken"
	"gatehouse/internal/mapping"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

// webhookError answers in the site's chosen format: JSON when
// sendErrorResponseAsJson, plain text otherwise.
func webhookError(c *gin.Context, st *site.Site, status int, code, message string) {
	if st != nil && st.Registration.SendErrorResponseAsJSON {
		c.AbortWithStatusJSON(status, gin.H{"success": false, "code": code, "message": message})
		return
	}
	c.Abort()
	c.Data(status, "text/plain; charset=utf-8", []byte(message+"\n"))
}

// loadWebhookSite finds an enabled site, takes a token from the site and
// address's rate limit (after the lookup, so the 429 is in the site's
// format) and checks the caller's address.
func (s *server) loadWebhookSite(c *gin.Context) (*site.Site, []byte, bool) {
	st, keyHash, err := s.Store.GetSite(c, c.Param("siteId"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		webhookError(c, nil, http.StatusNotFound, "site_not_found", "no registration webhook here")
		return nil, nil, false
	case err != nil:
		s.Log.Warn("webhook: site lookup failed", "error", err)
		webhookError(c, nil, http.StatusServiceUnavailable, "unavailable", "temporarily unavailable; nothing was accepted, retry later")
		return nil, nil, false
	case !st.Registration.Enabled:
		webhookError(c, &st, http.StatusNotFound, "site_not_found", "no registration webhook here")
		return nil, nil, false
	}
	client := web.ClientIP(c)
	if msg, ok := web.Allow(c, s.webhookLimit, st.ID+" "+client); !ok {
		webhookError(c, &st, http.StatusTooManyRequests, "rate_limited", msg)
		return nil, nil, false
	}
	rules, err := iprules.Parse(st.Registration.AllowedAddresses)
	addr, perr := netip.ParseAddr(client)
	if err != nil || perr != nil || !rules.Allows(addr) {
		webhookError(c, &st, http.StatusForbidden, "address_not_allowed", "requests from "+client+" are not allowed")
		return nil, nil, false
	}
	return &st, keyHash, true
}

// keyMatches compares the key's hash with the stored one in constant time.
func keyMatches(key string, stored []byte) bool {
	return key != "" && stored != nil && subtle.ConstantTimeCompare(linktoken.Hash(key), stored) == 1
}

// headerKey reads the key where getRegistrationKeyFromHeader puts it.
func headerKey(c *gin.Context, st *site.Site) string {
	h := st.Registration.KeyHeaderInfo
	switch {
	case h.AuthorizationHeaderType == site.HeaderBearer:
		return web.Bearer(c.GetHeader("Authorization"))
	case h.GetAPITokenFrom == site.FromQuery:
		return c.Query(h.APITokenKeyName)
	default:
		return strings.TrimSpace(c.GetHeader(h.APITokenKeyName))
	}
}

// registrationStatus answers GET when allowGetRequestStatusCheck is on.
func (s *server) registrationStatus(c *gin.Context) {
	st, _, ok := s.loadWebhookSite(c)
	if !ok {
		return
	}
	if !st.Registration.AllowGetRequestStatusCheck {
		webhookError(c, st, http.StatusMethodNotAllowed, "method_not_allowed", "GET status checks are off for this site; POST registrations")
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": true})
}

// registrationWebhook is POST /webhooks/registration/{siteId}: it answers
// 202 only once the registration is durable in Temporal.
func (s *server) registrationWebhook(c *gin.Context) {
	receivedAt := time.Now().UTC()
	st, fields, ok := s.readWebhook(c)
	if !ok {
		return
	}
	reg := st.Registration
	if reg.PrintToLog {
		s.logRequest(c, st, fields)
	}
	if missing := mapping.MissingFields(st, fields); len(missing) > 0 {
		webhookError(c, st, http.StatusBadRequest, "missing_fields", "missing fields the site maps (fieldsMapping; "+
			"optionalFields lists those a payload may leave out): "+strings.Join(missing, ", "))
		return
	}
	r := mapping.Apply(st, fields)
	if errs := mapping.Validate(st, r); len(errs) > 0 {
		webhookError(c, st, http.StatusBadRequest, "invalid_field", errs[0].Field+": "+errs[0].Message)
		return
	}
	userID := mapping.UserID(st.ID, r.Email)
	wfID, err := s.SignalRegistration(c, st.ID, userID, r.Email, workflows.RegistrationSubmitSignal, workflows.Submission{
		RequestID: web.RequestID(), ReceivedAt: receivedAt, Action: domain.ActionRegister, Registrant: r, Source: "webhook",
	})
	if err != nil {
		s.Log.Warn("webhook: temporal unavailable", "site", st.ID, "error", err)
		webhookError(c, st, http.StatusServiceUnavailable, "unavailable", "temporarily unavailable; nothing was accepted, retry later")
		return
	}
	answer := gin.H{"success": true, "status": "accepted", "userId": userID, "workflowId": wfID}
	if st.NoEmailFlow() && !s.addMagicLink(c, st, userID, answer) {
		return
	}
	c.JSON(http.StatusAccepted, answer)
}

// readFields reads and parses the body (413 above 1 MiB, 415 for the wrong

// readWebhook loads the site, checks the registration key (header or body)
// and reads the body in the site's format: the registration webhook and
// the password-reset webhook share it, so a CRM sends both the same way.
func (s *server) readWebhook(c *gin.Context) (*site.Site, mapping.Fields, bool) {
	st, keyHash, ok := s.loadWebhookSite(c)
	if !ok {
		return nil, nil, false
	}
	reg := st.Registration
	if reg.GetRegistrationKeyFromHeader && !keyMatches(headerKey(c, st), keyHash) {
		webhookError(c, st, http.StatusUnauthorized, "invalid_key", "registration key missing or wrong")
		return nil, nil, false
	}
	fields, ok := readFields(c, st, mapping.ParseOptions{
		JSON: reg.PostContentType == site.ContentJSON, JSONKey: reg.PostContentJSONKey,
		RegInfoKeys: mapping.SplitKeys(reg.PostContentJSONRegInfoKeys), Keep: mapping.MappedKeys(st),
	})
	if !ok {
		return nil, nil, false
	}
	if !reg.GetRegistrationKeyFromHeader {
		key := mapping.String(fields["registrationKey"])
		if key == "" {
			key = c.Query("registrationKey")
		}
		if !keyMatches(key, keyHash) {
			webhookError(c, st, http.StatusUnauthorized, "invalid_key", "registration key missing or wrong")
			return nil, nil, false
		}
	}
	return st, fields, true
}

// type, 400 when unreadable).
func readFields(c *gin.Context, st *site.Site, o mapping.ParseOptions) (mapping.Fields, bool) {
	// The body is capped by web.LimitBody (router-wide, web.MaxBody).
	if c.Request.ContentLength > web.MaxBody {
		webhookError(c, st, http.StatusRequestEntityTooLarge, "body_too_large", "the body is larger than 1 MiB")
		return nil, false
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		webhookError(c, st, http.StatusRequestEntityTooLarge, "body_too_large", "the body is larger than 1 MiB")
		return nil, false
	}
	fields, err := mapping.ParseBody(c.GetHeader("Content-Type"), body, o)
	if err != nil {
		var be *mapping.BodyError
		code, status := "invalid_body", http.StatusBadRequest
		if errors.As(err, &be) && be.Status == http.StatusUnsupportedMediaType {
			code, status = "unsupported_media_type", http.StatusUnsupportedMediaType
		}
		webhookError(c, st, status, code, err.Error())
		return nil, false
	}
	return fields, true
}

// logRequest is printToLog: the request with keys, tokens and passwords
// replaced by "[redacted]".
func (s *server) logRequest(c *gin.Context, st *site.Site, fields mapping.Fields) {
	redacted := map[string]string{}
	for k, v := range fields {
		val := mapping.String(v)
		if mapping.IsSecretField(k) {
			val = "[redacted]"
		}
		redacted[k] = val
	}
	headers := map[string]string{}
	secretHeader := strings.ToLower(st.Registration.KeyHeaderInfo.APITokenKeyName)
	for k, v := range c.Request.Header {
		val := strings.Join(v, ", ")
		lk := strings.ToLower(k)
		if lk == "authorization" || lk == "cookie" || (secretHeader != "" && lk == secretHeader) {
			val = "[redacted]"
		}
		headers[k] = val
	}
	query := c.Request.URL.Query()
	for k := range query {
		if mapping.IsSecretField(k) || (secretHeader != "" && strings.ToLower(k) == secretHeader) {
			query.Set(k, "[redacted]")
		}
	}
	s.Log.Info("webhook request", "site", st.ID, "client", web.ClientIP(c), "method", c.Request.Method,
		"query", query.Encode(), "headers", fmt.Sprint(headers), "fields", fmt.Sprint(redacted))
}
