package kaltura

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/dispatch"
	"gatehouse/internal/domain"
	"gatehouse/internal/notify"
	"gatehouse/internal/signing"
	"gatehouse/internal/store"
)

// The Kaltura-compatible service: eventnotification_eventnotificationtemplate,
// form-encoded like Kaltura's API, ks = GATEHOUSE_KALTURA_KS (or the admin
// token) in the POST body, format=1 (JSON).

// Kaltura error codes (seed §15 and the validation codes of notify).
const (
	kErrNotFound        = "EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND"
	kErrInvalidKS       = "INVALID_KS"
	kErrNotUpdatable    = "PROPERTY_VALIDATION_NOT_UPDATABLE"
	kErrDispatch        = "DISPATCH_DISABLED"
	kErrDuplicateName   = "EVENT_NOTIFICATION_TEMPLATE_DUPLICATE_SYSTEM_NAME"
	kErrMissingParam    = "MISSING_MANDATORY_PARAMETER"
	kErrInvalidParam    = "INVALID_PARAMETER"
	kErrObjectNotFound  = "OBJECT_NOT_FOUND"
	kErrInvalidAction   = "SERVICE_ACTION_NOT_FOUND"
	kErrFormat          = "UNSUPPORTED_FORMAT"
	kErrTemporarilyDown = "SERVICE_UNAVAILABLE"
)

const templateParam = "eventNotificationTemplate"

type kalturaException struct {
	Code       string         `json:"code"`
	Message    string         `json:"message"`
	ObjectType string         `json:"objectType"`
	Args       map[string]any `json:"args"`
}

func kalturaError(c *gin.Context, status int, code, message string) {
	c.AbortWithStatusJSON(status, kalturaException{Code: code, Message: message, ObjectType: "KalturaAPIException", Args: map[string]any{}})
}

func kalturaFieldErrors(c *gin.Context, errs []domain.FieldError) {
	msgs := make([]string, len(errs))
	fields := make([]map[string]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
		fields[i] = map[string]string{"field": e.Field, "code": e.Code, "message": e.Message}
	}
	c.AbortWithStatusJSON(http.StatusBadRequest, kalturaException{Code: errs[0].Code, Message: strings.Join(msgs, "; "),
		ObjectType: "KalturaAPIException", Args: map[string]any{"fields": fields}})
}

// kaltura routes one action of the template service.
func (s *server) kaltura(c *gin.Context) {
	// A ks in a URL ends up in access logs, proxies and browser history:
	// it is only read from a POST body.
	if c.Request.Method != http.MethodPost {
		kalturaError(c, http.StatusUnauthorized, kErrInvalidKS, "ks is only accepted in a POST body: POST the form")
		return
	}
	if c.Request.URL.Query().Has("ks") {
		kalturaError(c, http.StatusUnauthorized, kErrInvalidKS, "ks must not be in the query string: pass it in the POST body")
		return
	}
	// The body is capped by web.LimitBody (router-wide, web.MaxBody).
	if err := c.Request.ParseForm(); err != nil {
		if web.TooLarge(err) {
			kalturaError(c, http.StatusRequestEntityTooLarge, kErrInvalidParam, "the request body is larger than 1 MiB")
			return
		}
		kalturaError(c, http.StatusBadRequest, kErrInvalidParam, "the form cannot be parsed: "+err.Error())
		return
	}
	if !s.validKS(c.Request.PostForm.Get("ks")) {
		kalturaError(c, http.StatusUnauthorized, kErrInvalidKS, "ks is missing or invalid: pass GATEHOUSE_KALTURA_KS as ks")
		return
	}
	if f := c.Request.Form.Get("format"); f != "" && f != "1" {
		kalturaError(c, http.StatusBadRequest, kErrFormat, "format "+f+" is not supported: use format=1 (JSON)")
		return
	}
	form, err := parseForm(c.Request.Form)
	if err != nil {
		kalturaError(c, http.StatusBadRequest, kErrInvalidParam, err.Error())
		return
	}
	switch c.Param("action") {
	case "listTemplates":
		s.kList(c, form, notify.SystemPartner)
	case "list":
		partner := notify.Partner
		if v, ok := form.String("filter", "partnerIdEqual"); ok {
			if n, err := strconv.Atoi(v); err == nil {
				partner = n
			}
		}
		s.kList(c, form, partner)
	case "listByPartner":
		s.kList(c, form, notify.Partner)
	case "get":
		if t, _, ok := s.kTemplate(c, form); ok {
			c.JSON(http.StatusOK, templateJSON(&t))
		}
	case "add":
		s.kAdd(c, form, nil, notify.Secrets{})
	case "clone":
		if src, sec, ok := s.kTemplate(c, form); ok {
			s.kAdd(c, form, &src, sec)
		}
	case "update":
		s.kUpdate(c, form)
	case "updateStatus":
		s.kUpdateStatus(c, form)
	case "delete":
		s.kDelete(c, form)
	case "dispatch":
		s.kDispatch(c, form)
	default:
		kalturaError(c, http.StatusNotFound, kErrInvalidAction, fmt.Sprintf("action %q does not exist in eventnotification_eventnotificationtemplate", c.Param("action")))
	}
}

// validKS accepts GATEHOUSE_KALTURA_KS, which grants this service only,
// and, for the clients configured before it existed, the admin token.
func (s *server) validKS(ks string) bool {
	k := s.Config.KalturaKS
	return (k != "" && ks != "" && subtle.ConstantTimeCompare([]byte(ks), []byte(k)) == 1) || s.IsAdmin(ks)
}

// templateJSON is a template as Kaltura returns it. Secrets are not in
// notify.NotificationTemplate at all, so they cannot leak here; a private key pasted
// into sslCertificate is moved to the write-only sslKey on save, and
// stripped here from rows saved before that.
func templateJSON(t *notify.NotificationTemplate) map[string]any {
	shown := *t
	shown.SSLCertificate, _ = notify.SplitPrivateKey(t.SSLCertificate)
	shown.CustomHeaders = notify.MaskedHeaders(t.CustomHeaders) // write-only, like signSecret
	if len(shown.CustomHeaders) == 0 {
		shown.CustomHeaders = nil
	}
	b, _ := json.Marshal(&shown)
	var m map[string]any
	json.Unmarshal(b, &m) //nolint:errcheck
	m["objectType"] = t.ObjectType()
	if n, err := strconv.Atoi(t.EventType); err == nil {
		m["eventType"] = n
	}
	return m
}

func (s *server) kID(c *gin.Context, form *formNode) (int64, bool) {
	v, ok := form.String("id")
	if !ok || strings.TrimSpace(v) == "" {
		kalturaError(c, http.StatusBadRequest, kErrMissingParam, "id is required")
		return 0, false
	}
	id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || id <= 0 {
		kalturaError(c, http.StatusBadRequest, kErrInvalidParam, fmt.Sprintf("id: %q is not a template id", v))
		return 0, false
	}
	return id, true
}

func (s *server) kTemplate(c *gin.Context, form *formNode) (notify.NotificationTemplate, notify.Secrets, bool) {
	id, ok := s.kID(c, form)
	if !ok {
		return notify.NotificationTemplate{}, notify.Secrets{}, false
	}
	t, sec, err := s.Store.GetNotificationTemplate(c, id)
	if errors.Is(err, store.ErrNotFound) {
		kalturaError(c, http.StatusNotFound, kErrNotFound, fmt.Sprintf("Event notification template id [%d] not found", id))
		return t, sec, false
	}
	if err != nil {
		s.kInternal(c, err)
		return t, sec, false
	}
	return t, sec, true
}

func (s *server) kInternal(c *gin.Context, err error) {
	s.Log.Error("kaltura api", "action", c.Param("action"), "err", err)
	kalturaError(c, http.StatusServiceUnavailable, kErrTemporarilyDown, "the store is unavailable; retry")
}

func (s *server) kList(c *gin.Context, form *formNode, partner int) {
	f := store.NotificationTemplateFilter{PartnerID: partner}
	f.TypeEqual, _ = form.String("filter", "typeEqual")
	f.EventTypeEqual, _ = form.String("filter", "eventTypeEqual")
	f.SystemNameEqual, _ = form.String("filter", "systemNameEqual")
	f.OrderBy, _ = form.String("filter", "orderBy")
	if !store.ValidOrderBy(f.OrderBy) {
		kalturaError(c, http.StatusBadRequest, notify.CodeInvalidEnum, fmt.Sprintf("filter[orderBy]: %q is not one of +createdAt, -createdAt, +updatedAt, -updatedAt, +id, -id", f.OrderBy))
		return
	}
	for _, p := range []struct {
		path []string
		dst  *int
	}{{[]string{"filter", "statusEqual"}, &f.StatusEqual}, {[]string{"pager", "pageSize"}, &f.PageSize}, {[]string{"pager", "pageIndex"}, &f.PageIndex}} {
		if v, ok := form.String(p.path...); ok && v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				kalturaError(c, http.StatusBadRequest, kErrInvalidParam, fmt.Sprintf("%s[%s]: %q is not an integer", p.path[0], p.path[1], v))
				return
			}
			*p.dst = n
		}
	}
	if v, ok := form.String("filter", "idEqual"); ok && v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			kalturaError(c, http.StatusBadRequest, kErrInvalidParam, fmt.Sprintf("filter[idEqual]: %q is not an integer", v))
			return
		}
		f.IDEqual = id
	}
	if f.StatusEqual == 3 { // DELETED: deletes are hard, nothing is ever in that state
		c.JSON(http.StatusOK, gin.H{"objects": []any{}, "totalCount": 0, "objectType": "KalturaEventNotificationTemplateListResponse"})
		return
	}
	list, total, err := s.Store.ListNotificationTemplates(c, f)
	if err != nil {
		s.kInternal(c, err)
		return
	}
	objects := make([]map[string]any, len(list))
	for i := range list {
		objects[i] = templateJSON(&list[i])
	}
	c.JSON(http.StatusOK, gin.H{"objects": objects, "totalCount": total, "objectType": "KalturaEventNotificationTemplateListResponse"})
}

// kAdd creates a template from the form, or from a copy of src (clone).
func (s *server) kAdd(c *gin.Context, form *formNode, src *notify.NotificationTemplate, sec notify.Secrets) {
	t := notify.NotificationTemplate{ManualDispatchEnabled: true, AutomaticDispatchEnabled: true}
	if src != nil {
		t = *src
	}
	t.ID, t.PartnerID, t.Status, t.DisabledReason = 0, notify.Partner, notify.StatusDisabled, ""
	node := form.Get(templateParam)
	if src != nil && node == nil {
		node = &formNode{Fields: map[string]*formNode{"objectType": {IsLeaf: true, Value: src.ObjectType()}}}
	}
	s.kSave(c, form, node, modeAdd, &t, &sec, s.Store.InsertNotificationTemplate)
}

// kSave applies the form, validates and saves with save, then answers with
// the template (and a Standard Webhooks secret it generated, shown once).
func (s *server) kSave(c *gin.Context, form, node *formNode, mode formMode, t *notify.NotificationTemplate, sec *notify.Secrets,
	save func(context.Context, *notify.NotificationTemplate, notify.Secrets) error) {
	stored := t.CustomHeaders
	if errs := applyForm(node, templateParam, mode, t, sec); len(errs) > 0 {
		kalturaFieldErrors(c, errs)
		return
	}
	notify.KeepMaskedHeaders(t.CustomHeaders, stored)
	generated := s.kPrepare(c, form, t, sec)
	if c.IsAborted() {
		return
	}
	if err := save(c, t, *sec); err != nil {
		s.kInternal(c, err)
		return
	}
	out := templateJSON(t)
	if generated != "" {
		out["standardWebhooksSecret"] = generated
	}
	c.JSON(http.StatusOK, out)
}

// kPrepare normalises and validates a template about to be saved. It
// returns a Standard Webhooks secret it generated, if any.
func (s *server) kPrepare(c *gin.Context, form *formNode, t *notify.NotificationTemplate, sec *notify.Secrets) string {
	notify.Normalize(t)
	errs := notify.Validate(t, sec, templateParam)
	if t.Data != nil && t.Data.ObjectType == notify.DataObject && t.Data.Format == 3 {
		errs = append(errs, domain.FieldError{Field: templateParam + "[data][format]", Code: notify.CodeInvalidEnum,
			Message: "format 3 (PHP serialized) is not supported; use 1 (JSON) or 2 (XML)"})
	}
	// Boolean conditions must name existing boolean templates.
	for i, cond := range t.EventConditions {
		if cond.ObjectType != notify.CondBoolean {
			continue
		}
		var ids []int64
		for _, p := range strings.Split(cond.BooleanEventNotificationIDs, ",") {
			if id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
		found, err := s.Store.NotificationTemplatesByID(c, ids)
		if err != nil {
			s.kInternal(c, err)
			return ""
		}
		for _, id := range ids {
			if bt, ok := found[id]; !ok || bt.Type != notify.TypeBoolean {
				errs = append(errs, domain.FieldError{Field: fmt.Sprintf("%s[eventConditions][%d][booleanEventNotificationIds]", templateParam, i),
					Code: kErrNotFound, Message: fmt.Sprintf("%d is not a boolean notification template", id)})
			}
		}
	}
	if len(errs) > 0 {
		kalturaFieldErrors(c, errs)
		return ""
	}
	if form.Has(templateParam, "systemName") && t.SystemName != "" {
		taken, err := s.Store.SystemNameTaken(c, t.PartnerID, t.SystemName, t.ID)
		if err != nil {
			s.kInternal(c, err)
			return ""
		}
		if taken {
			kalturaError(c, http.StatusConflict, kErrDuplicateName, fmt.Sprintf("%s[systemName]: %q is already used by another template", templateParam, t.SystemName))
			return ""
		}
	}
	if t.StandardWebhooks == 1 && sec.StandardWebhooksSecret == "" {
		sec.StandardWebhooksSecret = signing.NewSecret()
		return sec.StandardWebhooksSecret
	}
	return ""
}

func (s *server) kUpdate(c *gin.Context, form *formNode) {
	t, sec, ok := s.kTemplate(c, form)
	if !ok {
		return
	}
	if t.PartnerID == notify.SystemPartner {
		kalturaError(c, http.StatusForbidden, kErrNotUpdatable, "system templates cannot be changed; clone one instead")
		return
	}
	s.kSave(c, form, form.Get(templateParam), modeUpdate, &t, &sec, s.Store.UpdateNotificationTemplate)
}

func (s *server) kUpdateStatus(c *gin.Context, form *formNode) {
	t, _, ok := s.kTemplate(c, form)
	if !ok {
		return
	}
	v, _ := form.String("status")
	status, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || (status != notify.StatusDisabled && status != notify.StatusActive) {
		kalturaError(c, http.StatusBadRequest, notify.CodeInvalidEnum, fmt.Sprintf("status: %q is not 1 (DISABLED) or 2 (ACTIVE)", v))
		return
	}
	if t.PartnerID == notify.SystemPartner {
		kalturaError(c, http.StatusForbidden, kErrNotUpdatable, "system templates never fire; clone one and activate the clone")
		return
	}
	if status == notify.StatusActive && t.Type == notify.TypeHTTP && t.URL == "" {
		kalturaError(c, http.StatusBadRequest, notify.CodeCannotBeNull, templateParam+"[url]: set a url before activating")
		return
	}
	if err := s.Store.SetNotificationTemplateStatus(c, t.ID, status, ""); err != nil {
		s.kInternal(c, err)
		return
	}
	t, _, err = s.Store.GetNotificationTemplate(c, t.ID)
	if err != nil {
		s.kInternal(c, err)
		return
	}
	c.JSON(http.StatusOK, templateJSON(&t))
}

func (s *server) kDelete(c *gin.Context, form *formNode) {
	t, _, ok := s.kTemplate(c, form)
	if !ok {
		return
	}
	if t.PartnerID == notify.SystemPartner {
		kalturaError(c, http.StatusForbidden, kErrNotUpdatable, "system templates cannot be deleted")
		return
	}
	if err := s.Store.DeleteNotificationTemplate(c, t.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.kInternal(c, err)
		return
	}
	c.JSON(http.StatusOK, nil)
}

// kDispatch fires a template for one object now, from its latest snapshot.
func (s *server) kDispatch(c *gin.Context, form *formNode) {
	t, _, ok := s.kTemplate(c, form)
	if !ok {
		return
	}
	if !t.ManualDispatchEnabled {
		kalturaError(c, http.StatusBadRequest, kErrDispatch, fmt.Sprintf("manual dispatch is not enabled for template [%d]", t.ID))
		return
	}
	if t.PartnerID == notify.SystemPartner {
		kalturaError(c, http.StatusBadRequest, kErrDispatch, "system templates are not dispatched; clone one first")
		return
	}
	objectID, _ := form.String("scope", "objectId")
	if strings.TrimSpace(objectID) == "" {
		kalturaError(c, http.StatusBadRequest, kErrMissingParam, "scope[objectId] is required")
		return
	}
	objectType, _ := form.String("scope", "scopeObjectType")
	if objectType == "" {
		objectType = t.EventObjectType
	}
	if objectType != t.EventObjectType {
		kalturaError(c, http.StatusBadRequest, kErrInvalidParam, fmt.Sprintf("scope[scopeObjectType]: %q does not match the template's eventObjectType %q", objectType, t.EventObjectType))
		return
	}
	d, err := s.Dispatcher.DispatchObject(c, &t, objectType, objectID)
	switch {
	case errors.Is(err, dispatch.ErrUnknownObject):
		kalturaError(c, http.StatusNotFound, kErrObjectNotFound, fmt.Sprintf("no object %q of type %q is known: post it to /api/v1/events first", objectID, objectType))
		return
	case errors.Is(err, dispatch.ErrNotStarted):
		// The event is stored; only the start failed. Say so: the caller retries.
		s.Log.Warn("dispatch", "template_id", t.ID, "err", err)
		kalturaError(c, http.StatusServiceUnavailable, kErrTemporarilyDown, "the dispatch could not be started; retry")
		return
	case err != nil:
		s.kInternal(c, err)
		return
	}
	c.JSON(http.StatusOK, d.JobID)
}
