// Package site is a portal site's configuration: the event it runs and the
// Webhooksiteregistration module's settings, under the seed's own names
// (../shared/seeds/000_*.txt), with the seed's defaults and the checks that
// make a save fail with every bad field named.
package site

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gatehouse/internal/domain"
	"gatehouse/internal/iprules"
	"gatehouse/internal/pagetext"
	"gatehouse/internal/portal"
)

// Site is what PUT /api/v1/sites/{siteId} stores and GET returns.
type Site struct {
	ID              string                  `json:"id"`
	Name            string                  `json:"name"`
	EventName       string                  `json:"eventName"`
	PortalURL       string                  `json:"portalUrl"`
	LoginLogFrom    *time.Time              `json:"loginLogFrom,omitempty"` // event start
	LoginLogTo      *time.Time              `json:"loginLogTo,omitempty"`   // event end: pre-/post-event switch
	Languages       []string                `json:"languages"`
	DefaultLanguage string                  `json:"defaultLanguage"`
	Roles           []string                `json:"roles"`
	Registration    Webhooksiteregistration `json:"webhooksiteregistration"`
	Kartra          *Kartra                 `json:"kartra,omitempty"`
	CreatedAt       time.Time               `json:"createdAt"`
	UpdatedAt       time.Time               `json:"updatedAt"`
}

// Webhooksiteregistration holds every setting of the module. RegistrationKey
// is write-only: it is accepted on save and never returned (KeySet is).
type Webhooksiteregistration struct {
	Enabled                      bool            `json:"enabled"`
	RegistrationKey              string          `json:"registrationKey,omitempty"`
	KeySet                       bool            `json:"registrationKeySet"`
	PrintToLog                   bool            `json:"printToLog"`
	GetRegistrationKeyFromHeader bool            `json:"getRegistrationKeyFromHeader"`
	KeyHeaderInfo                KeyHeaderInfo   `json:"keyHeaderInfo"`
	SendErrorResponseAsJSON      bool            `json:"sendErrorResponseAsJson"`
	AllowGetRequestStatusCheck   bool            `json:"allowGetRequestStatusCheck"`
	PostContentType              string          `json:"postContentType"`
	PostContentJSONKey           string          `json:"postContentJsonKey"`
	PostContentJSONRegInfoKeys   string          `json:"postContentJsonRegInfoKeys"`
	AllowedAddresses             []string        `json:"allowedAddresses"`
	DefaultRole                  string          `json:"defaultRole"`
	DefaultGroupID               string          `json:"defaultGroupId"`
	MandatoryFieldsMapping       MandatoryFields `json:"mandatoryFieldsMapping"`
	FieldsMapping                []FieldMapping  `json:"fieldsMapping"`
	LanguageMapping              []LanguageMap   `json:"languageMapping"`
	CompleteTitle                Text            `json:"completeTitle"`
	CompleteText                 Text            `json:"completeText"`
	CompleteSubText              Text            `json:"completeSubText"`
	CompleteButtonTitle          Text            `json:"completeButtonTitle"`
	CompleteButtonURL            string          `json:"completeButtonUrl"`
	SendEmail                    *bool           `json:"sendEmail"`
	WebhookEmailType             string          `json:"webhookEmailType"`
	SetPassTemplate              string          `json:"webhookSetPassEmailTemplate"`
	ICalTemplate                 string          `json:"iCalEmailTemplate"`
	ConfirmedTemplate            string          `json:"webhookConfirmedEmailTemplate"`
	SetPassTemplatePostEvent     string          `json:"webhookSetPassEmailTemplatePostEvent"`
	ConfirmedTemplatePostEvent   string          `json:"webhookConfirmedEmailTemplatePostEvent"`
	AuthMethod                   string          `json:"authMethod"`
	LinkExpirySeconds            int             `json:"linkExpirySeconds"`
	// RequireApproval holds every new registration for Approval (same
	// shape as a portal kind's policy): no set-password email or calendar
	// invitation until approved; a rejected user is blocked and gets
	// RejectedTemplate when one is set.
	RequireApproval    bool           `json:"requireApproval"`
	Approval           *portal.Policy `json:"approval,omitempty"`
	RejectedTemplate   string         `json:"webhookRejectedEmailTemplate"`
	SignInCallbackURL  string         `json:"signInCallbackUrl"`  // see signin.go
	SignInResponseMode string         `json:"signInResponseMode"` // query | form_post

	// OptionalFields lists fieldsMapping webhook keys a payload may leave
	// out; every other mapped key is required (seed: "All items configured
	// here must be included in the payload").
	OptionalFields []string `json:"optionalFields"`
}

// KeyHeaderInfo says where the key travels when getRegistrationKeyFromHeader is on.
type KeyHeaderInfo struct {
	AuthorizationHeaderType string `json:"authorizationHeaderType"` // Bearer | API Token
	APITokenKeyName         string `json:"apiTokenKeyName"`
	GetAPITokenFrom         string `json:"getApiTokenFrom"` // Header | Query Params
}

// MandatoryFields names the webhook fields holding email and names.
type MandatoryFields struct {
	EmailWebhookKey     string `json:"emailWebhookKey"`
	FirstNameWebhookKey string `json:"firstNameWebhookKey"`
	LastNameWebhookKey  string `json:"lastNameWebhookKey"`
}

// FieldMapping maps one webhook field to the user object and/or the
// registration form, by the seed's rules (see mapping.Apply).
type FieldMapping struct {
	WebhookKey          string `json:"webhookKey"`
	UserObjectKey       string `json:"userObjectKey"`
	RegistrationFormKey string `json:"registrationFormKey"`
}

// LanguageMap maps an external language code to a site language and group.
// The seed's form names the language formkmsLanguage; kmsLanguage is
// Gatehouse's older name, still accepted (Language reads either).
type LanguageMap struct {
	ExternalLanguageCode string `json:"externalLanguageCode"`
	KMSLanguage          string `json:"kmsLanguage"`
	FormKMSLanguage      string `json:"formkmsLanguage,omitempty"`
	GroupID              string `json:"groupId"`
}

// Language is the site language the code maps to, under either name.
func (l LanguageMap) Language() string {
	if l.FormKMSLanguage != "" {
		return l.FormKMSLanguage
	}
	return l.KMSLanguage
}

// Values of the enumerated settings.
const (
	ContentForm = "Form Data"
	ContentJSON = "JSON"

	HeaderBearer   = "Bearer"
	HeaderAPIToken = "API Token"
	FromHeader     = "Header"
	FromQuery      = "Query Params"

	EmailOnly        = "email"
	EmailAndCalendar = "emailAndCalendar"
	CalendarOnly     = "calendar"

	AuthPassword  = "password"
	AuthMagicLink = "magicLink"
)

// DefaultRoles are the seed's four roles; AdminRoles may not be granted by a
// CRM (WP Fusion's role parameter).
var (
	DefaultRoles = []string{"viewerRole", "privateOnlyRole", "adminRole", "unmoderatedAdminRole"}
	AdminRoles   = []string{"adminRole", "unmoderatedAdminRole"}
)

// ApplyDefaults fills omitted settings with the seed's defaults.
func (s *Site) ApplyDefaults() {
	if len(s.Roles) == 0 {
		s.Roles = slices.Clone(DefaultRoles)
	}
	if s.DefaultLanguage == "" {
		if len(s.Languages) > 0 {
			s.DefaultLanguage = s.Languages[0]
		} else {
			s.DefaultLanguage = "en"
		}
	}
	if len(s.Languages) == 0 {
		s.Languages = []string{s.DefaultLanguage}
	}
	if s.Name == "" {
		s.Name = s.ID
	}
	if s.EventName == "" {
		s.EventName = s.Name
	}
	r := &s.Registration
	// Lists are [] in JSON, never null.
	if r.AllowedAddresses == nil {
		r.AllowedAddresses = []string{}
	}
	if r.FieldsMapping == nil {
		r.FieldsMapping = []FieldMapping{}
	}
	if r.LanguageMapping == nil {
		r.LanguageMapping = []LanguageMap{}
	}
	if r.OptionalFields == nil {
		r.OptionalFields = []string{}
	}
	def := func(v *string, d string) {
		if strings.TrimSpace(*v) == "" {
			*v = d
		}
	}
	def(&r.PostContentType, ContentForm)
	def(&r.KeyHeaderInfo.AuthorizationHeaderType, HeaderBearer)
	def(&r.KeyHeaderInfo.GetAPITokenFrom, FromHeader)
	def(&r.DefaultRole, "viewerRole")
	def(&r.MandatoryFieldsMapping.EmailWebhookKey, "email")
	def(&r.MandatoryFieldsMapping.FirstNameWebhookKey, "firstName")
	def(&r.MandatoryFieldsMapping.LastNameWebhookKey, "lastName")
	// The seed's defaults, in English; pages show them in the reader's
	// language (Text.In). The seed's page swaps the button's two defaults
	// by mistake: the title is text and the URL is the login path.
	defText := func(t *Text, key string) {
		if t.IsZero() {
			*t = PlainText(pagetext.T(pagetext.Fallback, key))
		}
	}
	defText(&r.CompleteTitle, pagetext.CompleteTitle)
	defText(&r.CompleteText, pagetext.CompleteText)
	defText(&r.CompleteSubText, pagetext.CompleteSubText)
	defText(&r.CompleteButtonTitle, pagetext.CompleteButton)
	def(&r.CompleteButtonURL, "/user/login")
	if r.SendEmail == nil {
		yes := true
		r.SendEmail = &yes
	}
	def(&r.WebhookEmailType, EmailOnly)
	def(&r.AuthMethod, AuthPassword)
	if r.LinkExpirySeconds == 0 {
		r.LinkExpirySeconds = 86400
	}
	r.Approval.ApplyDefaults(portal.KindSiteRegistration)
	def(&r.SignInResponseMode, ResponseQuery)
	if r.AuthMethod == AuthMagicLink {
		def(&r.SetPassTemplate, TemplateMagicLink)
	} else {
		def(&r.SetPassTemplate, TemplateSetPassword)
	}
	def(&r.ICalTemplate, TemplateICal)
	def(&r.ConfirmedTemplate, TemplateConfirmed)
	// Post-event templates exist only once the event has an end (seed).
	if s.LoginLogTo != nil {
		if r.AuthMethod == AuthMagicLink {
			def(&r.SetPassTemplatePostEvent, TemplateMagicLinkPostEvent)
		} else {
			def(&r.SetPassTemplatePostEvent, TemplateSetPasswordPostEvent)
		}
		def(&r.ConfirmedTemplatePostEvent, TemplateConfirmedPostEvent)
	}
}

// Built-in template ids: every slot works before anyone writes a template.
const (
	TemplateSetPassword          = "default_set_password"
	TemplateSetPasswordPostEvent = "default_set_password_post_event"
	TemplateMagicLink            = "default_magic_link"
	TemplateMagicLinkPostEvent   = "default_magic_link_post_event"
	TemplateICal                 = "default_ical"
	TemplateConfirmed            = "default_confirmed"
	TemplateConfirmedPostEvent   = "default_confirmed_post_event"
)

var (
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	groupPattern = regexp.MustCompile(`^\S+$`)
	langPattern  = regexp.MustCompile(`^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$`)
)

// ValidID reports whether s can be a site or template id.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// Validate checks a site after ApplyDefaults. templateExists answers for
// template ids that are not built in (the site's own templates).
func (s *Site) Validate(templateExists func(id string) bool) []domain.FieldError {
	var errs []domain.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, domain.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	r := &s.Registration
	if !ValidID(s.ID) {
		bad("id", "must be 1-64 letters, digits, '.', '_' or '-'")
	}
	for i, l := range s.Languages {
		if !langPattern.MatchString(l) {
			bad(fmt.Sprintf("languages[%d]", i), "%q is not a language code (e.g. en, pt-BR)", l)
		}
	}
	if !slices.Contains(s.Languages, s.DefaultLanguage) {
		bad("defaultLanguage", "%q is not one of languages %v", s.DefaultLanguage, s.Languages)
	}
	for i, role := range s.Roles {
		if strings.TrimSpace(role) == "" || strings.ContainsAny(role, " \t") {
			bad(fmt.Sprintf("roles[%d]", i), "role names may not be empty or contain spaces")
		}
	}
	if s.LoginLogFrom != nil && s.LoginLogTo != nil && !s.LoginLogTo.After(*s.LoginLogFrom) {
		bad("loginLogTo", "must be after loginLogFrom")
	}
	if s.PortalURL != "" && !strings.HasPrefix(s.PortalURL, "http://") && !strings.HasPrefix(s.PortalURL, "https://") {
		bad("portalUrl", "must be an http(s) URL")
	}

	const p = "webhooksiteregistration."
	oneOf := func(field, v string, allowed ...string) {
		if !slices.Contains(allowed, v) {
			bad(p+field, "%q is not one of %q", v, allowed)
		}
	}
	oneOf("postContentType", r.PostContentType, ContentForm, ContentJSON)
	oneOf("keyHeaderInfo.authorizationHeaderType", r.KeyHeaderInfo.AuthorizationHeaderType, HeaderBearer, HeaderAPIToken)
	oneOf("keyHeaderInfo.getApiTokenFrom", r.KeyHeaderInfo.GetAPITokenFrom, FromHeader, FromQuery)
	oneOf("webhookEmailType", r.WebhookEmailType, EmailOnly, EmailAndCalendar, CalendarOnly)
	oneOf("authMethod", r.AuthMethod, AuthPassword, AuthMagicLink)
	if r.GetRegistrationKeyFromHeader && r.KeyHeaderInfo.AuthorizationHeaderType == HeaderAPIToken &&
		strings.TrimSpace(r.KeyHeaderInfo.APITokenKeyName) == "" {
		bad(p+"keyHeaderInfo.apiTokenKeyName", "is required when authorizationHeaderType is %q", HeaderAPIToken)
	}
	if r.RegistrationKey != "" && len(r.RegistrationKey) < 16 {
		bad(p+"registrationKey", "must be at least 16 characters (or use POST .../registration-key to generate one)")
	}
	if r.PostContentType != ContentJSON && (r.PostContentJSONKey != "" || r.PostContentJSONRegInfoKeys != "") {
		bad(p+"postContentJsonKey", "only applies when postContentType is %q", ContentJSON)
	}
	for i, a := range r.AllowedAddresses {
		if _, err := iprules.ParseRule(a); err != nil {
			bad(fmt.Sprintf("%sallowedAddresses[%d]", p, i), "%v", err)
		}
	}
	if !slices.Contains(s.Roles, r.DefaultRole) {
		bad(p+"defaultRole", "%q is not one of roles %v", r.DefaultRole, s.Roles)
	}
	if r.DefaultGroupID != "" && !groupPattern.MatchString(r.DefaultGroupID) {
		bad(p+"defaultGroupId", "group ids may not contain spaces")
	}
	m := r.MandatoryFieldsMapping
	for field, v := range map[string]string{"emailWebhookKey": m.EmailWebhookKey, "firstNameWebhookKey": m.FirstNameWebhookKey, "lastNameWebhookKey": m.LastNameWebhookKey} {
		if strings.TrimSpace(v) == "" {
			bad(p+"mandatoryFieldsMapping."+field, "may not be empty")
		}
	}
	seen := map[string]bool{}
	for i, f := range r.FieldsMapping {
		field := fmt.Sprintf("%sfieldsMapping[%d]", p, i)
		switch {
		case strings.TrimSpace(f.WebhookKey) == "":
			bad(field+".webhookKey", "may not be empty")
		case seen[f.WebhookKey]:
			bad(field+".webhookKey", "%q is mapped twice", f.WebhookKey)
		}
		seen[f.WebhookKey] = true
	}
	for i, k := range r.OptionalFields {
		if !seen[k] {
			bad(fmt.Sprintf("%soptionalFields[%d]", p, i), "%q is not a fieldsMapping webhookKey", k)
		}
	}
	for i, l := range r.LanguageMapping {
		field := fmt.Sprintf("%slanguageMapping[%d]", p, i)
		if strings.TrimSpace(l.ExternalLanguageCode) == "" {
			bad(field+".externalLanguageCode", "may not be empty")
		}
		name := ".kmsLanguage"
		if l.FormKMSLanguage != "" {
			name = ".formkmsLanguage"
		}
		switch {
		case l.KMSLanguage != "" && l.FormKMSLanguage != "" && l.KMSLanguage != l.FormKMSLanguage:
			bad(field+name, "%q differs from kmsLanguage %q (the same setting under its older name): send one", l.FormKMSLanguage, l.KMSLanguage)
		case !slices.Contains(s.Languages, l.Language()):
			bad(field+name, "%q is not one of the site's languages %v", l.Language(), s.Languages)
		}
		if l.GroupID != "" && !groupPattern.MatchString(l.GroupID) {
			bad(field+".groupId", "group ids may not contain spaces")
		}
	}
	if (r.WebhookEmailType == CalendarOnly || r.WebhookEmailType == EmailAndCalendar) && s.LoginLogFrom == nil {
		bad(p+"webhookEmailType", "%q needs loginLogFrom (the event start) for the invitation", r.WebhookEmailType)
	}
	if r.LinkExpirySeconds < 60 || r.LinkExpirySeconds > 90*86400 {
		bad(p+"linkExpirySeconds", "must be between 60 and 7776000 (90 days)")
	}
	for field, t := range map[string]Text{"completeTitle": r.CompleteTitle, "completeText": r.CompleteText,
		"completeSubText": r.CompleteSubText, "completeButtonTitle": r.CompleteButtonTitle} {
		errs = append(errs, validateText(p+field, t, s.Languages)...)
	}
	if !strings.HasPrefix(r.CompleteButtonURL, "/") && !strings.HasPrefix(r.CompleteButtonURL, "http://") &&
		!strings.HasPrefix(r.CompleteButtonURL, "https://") {
		bad(p+"completeButtonUrl", "must be a path or an http(s) URL")
	}
	if r.RequireApproval && r.Approval == nil {
		bad(p+"approval", "is required when requireApproval is on (approvers, as in a portal's approval policy)")
	}
	if r.Approval != nil {
		for _, pr := range r.Approval.Validate(portal.KindSiteRegistration, p+"approval") {
			bad(pr.Field, "%s", pr.Reason)
		}
	}
	errs = append(errs, s.validateSignIn()...)
	for field, id := range map[string]string{
		"webhookRejectedEmailTemplate":           r.RejectedTemplate,
		"webhookSetPassEmailTemplate":            r.SetPassTemplate,
		"iCalEmailTemplate":                      r.ICalTemplate,
		"webhookConfirmedEmailTemplate":          r.ConfirmedTemplate,
		"webhookSetPassEmailTemplatePostEvent":   r.SetPassTemplatePostEvent,
		"webhookConfirmedEmailTemplatePostEvent": r.ConfirmedTemplatePostEvent,
	} {
		if id == "" {
			continue
		}
		if (field == "webhookSetPassEmailTemplatePostEvent" || field == "webhookConfirmedEmailTemplatePostEvent") && s.LoginLogTo == nil {
			bad(p+field, "post-event templates need loginLogTo (the event end)")
			continue
		}
		if !IsBuiltinTemplate(id) && (templateExists == nil || !templateExists(id)) {
			bad(p+field, "unknown template id %q", id)
		}
	}
	errs = append(errs, s.Kartra.validate()...)
	slices.SortFunc(errs, func(a, b domain.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return errs
}

// IsBuiltinTemplate reports the ids that ship with Gatehouse.
func IsBuiltinTemplate(id string) bool {
	switch id {
	case TemplateSetPassword, TemplateSetPasswordPostEvent, TemplateMagicLink, TemplateMagicLinkPostEvent,
		TemplateICal, TemplateConfirmed, TemplateConfirmedPostEvent:
		return true
	}
	return false
}

// Phase is which set of templates applies.
type Phase string

const (
	PreEvent  Phase = "pre-event"
	PostEvent Phase = "post-event"
)

// PhaseAt is the template phase at a moment: post-event at or after the
// event's end (loginLogTo), if it has one. Pure, so workflows call it too.
func PhaseAt(eventEnd *time.Time, at time.Time) Phase {
	if eventEnd != nil && !at.Before(*eventEnd) {
		return PostEvent
	}
	return PreEvent
}

// SetPassTemplateFor picks the link email's template for a phase: the
// post-event one when configured, the pre-event one otherwise.
func (s *Site) SetPassTemplateFor(ph Phase) string {
	if ph == PostEvent && s.Registration.SetPassTemplatePostEvent != "" {
		return s.Registration.SetPassTemplatePostEvent
	}
	return s.Registration.SetPassTemplate
}

// ConfirmedTemplateFor picks the confirmation template for a phase.
func (s *Site) ConfirmedTemplateFor(ph Phase) string {
	if ph == PostEvent && s.Registration.ConfirmedTemplatePostEvent != "" {
		return s.Registration.ConfirmedTemplatePostEvent
	}
	return s.Registration.ConfirmedTemplate
}

// SendsEmail is the sendEmail setting after defaults.
func (s *Site) SendsEmail() bool { return s.Registration.SendEmail == nil || *s.Registration.SendEmail }

// CompleteURL is the complete button's target (after set-password, a magic
// link, and in the confirmation email): a path is resolved against the
// portal, or against publicURL when the site has no portal.
func (s *Site) CompleteURL(publicURL string) string {
	target := s.Registration.CompleteButtonURL
	if strings.HasPrefix(target, "/") {
		base := s.PortalURL
		if base == "" {
			base = publicURL
		}
		return strings.TrimRight(base, "/") + target
	}
	return target
}
