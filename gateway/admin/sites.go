package admin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/domain"
	"gatehouse/internal/emailtmpl"
	"gatehouse/internal/linktoken"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

// decodeStrict reads a JSON body, refusing unknown fields so a misspelt
// setting is an error instead of a silently ignored value.
func decodeStrict(c *gin.Context, v any) bool {
	body, err := io.ReadAll(c.Request.Body) // capped by web.LimitBody
	if err != nil {
		web.Abort(c, http.StatusRequestEntityTooLarge, "body_too_large", "the body is larger than 1 MiB")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		field, msg := "", err.Error()
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			field, msg = te.Field, fmt.Sprintf("must be %s, not %s", jsonKind(te.Type), withArticle(te.Value))
		case strings.HasPrefix(msg, "json: unknown field "):
			field, msg = strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`), "is not a known setting"
		case strings.Contains(msg, "parsing time"):
			msg = "times must be RFC 3339 (2026-12-01T15:00:00Z): " + msg
		}
		if field == "" {
			web.Abort(c, http.StatusBadRequest, "invalid_json", "body: "+msg)
		} else {
			web.AbortFields(c, http.StatusBadRequest, "invalid_field", []domain.FieldError{{Field: field, Message: msg}})
		}
		return false
	}
	return true
}

// jsonKind names a Go type as the JSON a caller sends: a type error must
// not name our Go types ("[]notify.Header").
func jsonKind(t reflect.Type) string {
	if t == reflect.TypeOf(time.Time{}) {
		return "an RFC 3339 time string"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a string"
		}
		switch e := jsonKind(t.Elem()); {
		case e == "an object":
			return "a list of objects"
		case strings.HasPrefix(e, "a list"):
			return "a list of lists"
		case e == "true or false":
			return "a list of true/false values"
		default:
			return "a list of " + strings.TrimPrefix(strings.TrimPrefix(e, "an "), "a ") + "s"
		}
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another JSON type"
}

// withArticle: encoding/json names the value it found ("object", "array",
// "number 1.5", "string", "bool").
func withArticle(v string) string {
	switch v {
	case "array":
		return "a list"
	case "object":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "a " + v // "a string", "a number 1.5"
}

func siteFieldErrors(errs []domain.FieldError) []domain.FieldError {
	out := make([]domain.FieldError, len(errs))
	for i, e := range errs {
		out[i] = domain.FieldError{Field: e.Field, Message: e.Message}
	}
	return out
}

// putSite creates or replaces a site; the registration key is write-only.
func (s *server) putSite(c *gin.Context) {
	id := c.Param("siteId")
	var st site.Site
	if !decodeStrict(c, &st) {
		return
	}
	if st.ID != "" && st.ID != id {
		web.AbortFields(c, http.StatusBadRequest, "invalid_field", []domain.FieldError{{Field: "id", Message: "does not match the path"}})
		return
	}
	st.ID = id
	st.ApplyDefaults()
	stored, _, err := s.Store.GetSite(c, id)
	switch {
	case err == nil:
		st.KeepSecrets(stored)
	case !errors.Is(err, store.ErrNotFound):
		s.Unavailable(c, err)
		return
	}
	ids, err := s.Store.EmailTemplateIDs(c, id)
	if err != nil {
		s.Unavailable(c, err)
		return
	}
	errs := siteFieldErrors(st.Validate(func(t string) bool { return slices.Contains(ids, t) }))
	if len(errs) == 0 {
		missing, err := s.missingChannels(c, st.Registration.Approval, "webhooksiteregistration.approval")
		if err != nil {
			s.Unavailable(c, err)
			return
		}
		errs = missing
	}
	if len(errs) > 0 {
		web.AbortFields(c, http.StatusBadRequest, "invalid_site", errs)
		return
	}
	var keyHash []byte
	if st.Registration.RegistrationKey != "" {
		keyHash = linktoken.Hash(st.Registration.RegistrationKey)
	}
	saved, created, err := s.Store.PutSite(c, st, keyHash)
	if err != nil {
		s.Unavailable(c, err)
		return
	}
	answerPut(c, created, saved.Scrubbed())
}

func (s *server) getSite(c *gin.Context) {
	st, _, err := s.Store.GetSite(c, c.Param("siteId"))
	if s.storeError(c, err, "site") {
		return
	}
	c.JSON(http.StatusOK, st.Scrubbed())
}

// deleteSite removes a site; with ?purge=true its users go too and their
// running registrations are cancelled.
func (s *server) deleteSite(c *gin.Context) {
	purge := c.Query("purge") == "true"
	id := c.Param("siteId")
	userIDs, err := s.Store.DeleteSite(c, id, purge)
	if s.storeError(c, err, "site") {
		return
	}
	for _, u := range userIDs {
		s.cancelRegistration(c, id, u)
	}
	c.JSON(http.StatusOK, gin.H{"deleted": id, "usersDeleted": len(userIDs)})
}

// generateKey is the module's "Generate Key" button: the new key is shown
// once, here, and only its hash is kept.
func (s *server) generateKey(c *gin.Context) {
	key := "whr_" + rand.Text() + rand.Text()
	err := s.Store.SetRegistrationKey(c, c.Param("siteId"), linktoken.Hash(key))
	if s.storeError(c, err, "site") {
		return
	}
	c.JSON(http.StatusOK, gin.H{"registrationKey": key})
}

func (s *server) putEmailTemplate(c *gin.Context) {
	siteID, id := c.Param("siteId"), c.Param("templateId")
	st, _, err := s.Store.GetSite(c, siteID)
	if s.storeError(c, err, "site") {
		return
	}
	var t emailtmpl.EmailTemplate
	if !decodeStrict(c, &t) {
		return
	}
	t.ID = id
	if errs := t.Validate(st.Languages); len(errs) > 0 {
		web.AbortFields(c, http.StatusBadRequest, "invalid_template", siteFieldErrors(errs))
		return
	}
	created, err := s.Store.PutEmailTemplate(c, siteID, t)
	if err != nil {
		s.Unavailable(c, err)
		return
	}
	answerPut(c, created, t)
}

func (s *server) getEmailTemplate(c *gin.Context) {
	t, err := s.Store.EmailTemplate(c, c.Param("siteId"), c.Param("templateId"))
	if s.storeError(c, err, "template") {
		return
	}
	c.JSON(http.StatusOK, t)
}

func (s *server) listTemplates(c *gin.Context) {
	ids, err := s.Store.EmailTemplateIDs(c, c.Param("siteId"))
	if err != nil {
		s.Unavailable(c, err)
		return
	}
	objects := []emailtmpl.EmailTemplate{}
	for _, id := range append(emailtmpl.BuiltinIDs(), ids...) {
		t, err := s.Store.EmailTemplate(c, c.Param("siteId"), id)
		if err != nil {
			s.Unavailable(c, err)
			return
		}
		objects = append(objects, t)
	}
	c.JSON(http.StatusOK, gin.H{"objects": objects, "totalCount": len(objects)})
}

// deleteEmailTemplate refuses to remove a template a slot still uses.
func (s *server) deleteEmailTemplate(c *gin.Context) {
	siteID, id := c.Param("siteId"), c.Param("templateId")
	st, _, err := s.Store.GetSite(c, siteID)
	if s.storeError(c, err, "site") {
		return
	}
	r := st.Registration
	for slot, used := range map[string]string{
		"webhookSetPassEmailTemplate": r.SetPassTemplate, "iCalEmailTemplate": r.ICalTemplate,
		"webhookConfirmedEmailTemplate": r.ConfirmedTemplate, "webhookSetPassEmailTemplatePostEvent": r.SetPassTemplatePostEvent,
		"webhookConfirmedEmailTemplatePostEvent": r.ConfirmedTemplatePostEvent,
		"webhookRejectedEmailTemplate":           r.RejectedTemplate,
	} {
		if used == id {
			web.Abort(c, http.StatusConflict, "template_in_use", "the site's "+slot+" uses this template; point it elsewhere first")
			return
		}
	}
	if s.storeError(c, s.Store.DeleteEmailTemplate(c, siteID, id), "template") {
		return
	}
	c.JSON(http.StatusOK, gin.H{"deleted": id})
}

// answerPut answers a PUT: 201 when it created the resource, else 200.
func answerPut(c *gin.Context, created bool, v any) {
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, v)
}

// storeError answers 404 or 503 for a store error and reports whether it did.
func (s *server) storeError(c *gin.Context, err error, what string) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrNotFound):
		web.Abort(c, http.StatusNotFound, what+"_not_found", "no such "+what)
	default:
		s.Unavailable(c, err)
	}
	return true
}

func (s *server) cancelRegistration(ctx context.Context, siteID, userID string) {
	if err := s.Temporal.CancelWorkflow(ctx, workflows.RegistrationID(siteID, userID), ""); err != nil {
		s.Log.Debug("cancel registration", "site", siteID, "user", userID, "error", err)
	}
}
