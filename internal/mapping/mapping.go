package mapping

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"gatehouse/internal/domain"
	"gatehouse/internal/site"
)

// Registrant is one person after mapping: what the registration workflow
// writes to the user.
type Registrant struct {
	Email            string            `json:"email" validate:"required,email,max=254"`
	FirstName        string            `json:"firstName" validate:"required,max=128"`
	LastName         string            `json:"lastName" validate:"required,max=128"`
	Role             string            `json:"role"`
	Language         string            `json:"language"`
	Groups           []string          `json:"groups"`
	UserObject       map[string]string `json:"userObject"`
	RegistrationInfo map[string]any    `json:"registrationInfo"`
	// Tags replace the user's tags when not nil (WP Fusion); nil keeps them.
	Tags []string `json:"tags,omitempty"`
	// Notes explain fallbacks (unknown language, refused role) for the logs
	// and the workflow's record.
	Notes []string `json:"notes,omitempty"`
}

// Secret fields are never stored, even in the registration info.
var secretFields = []string{"registrationKey", "access_key", "password", "user_pass", "pass", "wpf_action"}

// IsSecretField reports fields that are dropped and redacted in logs.
func IsSecretField(k string) bool {
	return slices.ContainsFunc(secretFields, func(s string) bool { return strings.EqualFold(s, k) })
}

// NormalizeEmail is the form emails are compared and stored in.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// UserID is derived from site and normalised email, so every gateway
// computes the same id for the same person without a database round trip,
// and duplicates converge on one user and one workflow.
func UserID(siteID, email string) string {
	sum := sha256.Sum256([]byte(siteID + "\x00" + NormalizeEmail(email)))
	return "u" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])[:20])
}

// Apply maps parsed fields onto a registrant by the site's settings:
//   - the mandatory keys give email, first and last name;
//   - a fieldsMapping entry with a userObjectKey goes to the user object,
//     and to the registration info too when registrationFormKey is set;
//   - an entry without userObjectKey goes to the registration info under
//     registrationFormKey, or under its webhook key when that is empty;
//   - fields without an entry stay in the registration info as sent;
//   - the language field (the entry mapped to userObjectKey "language", or
//     "language") goes through languageMapping, else the site default.
func Apply(s *site.Site, f Fields) Registrant {
	r := Registrant{UserObject: map[string]string{}, RegistrationInfo: map[string]any{}}
	reg := s.Registration
	m := reg.MandatoryFieldsMapping
	used := map[string]bool{m.EmailWebhookKey: true, m.FirstNameWebhookKey: true, m.LastNameWebhookKey: true}
	r.Email = NormalizeEmail(String(f[m.EmailWebhookKey]))
	r.FirstName = strings.TrimSpace(String(f[m.FirstNameWebhookKey]))
	r.LastName = strings.TrimSpace(String(f[m.LastNameWebhookKey]))

	languageKey := languageKey(s)
	for _, fm := range reg.FieldsMapping {
		v, ok := f[fm.WebhookKey]
		used[fm.WebhookKey] = true
		if !ok {
			continue
		}
		if fm.UserObjectKey != "" {
			if fm.UserObjectKey != "language" {
				r.UserObject[fm.UserObjectKey] = String(v)
			}
			if fm.RegistrationFormKey != "" {
				r.RegistrationInfo[fm.RegistrationFormKey] = v
			}
			continue
		}
		key := fm.RegistrationFormKey
		if key == "" {
			key = fm.WebhookKey
		}
		r.RegistrationInfo[key] = v
	}
	for k, v := range f {
		if used[k] || IsSecretField(k) {
			continue
		}
		if _, taken := r.RegistrationInfo[k]; !taken {
			r.RegistrationInfo[k] = v
		}
	}

	r.Role = reg.DefaultRole
	if reg.DefaultGroupID != "" {
		r.Groups = append(r.Groups, reg.DefaultGroupID)
	}
	r.Language = s.DefaultLanguage
	if code := strings.TrimSpace(String(f[languageKey])); code != "" {
		lang, group, ok := language(s, code)
		if ok {
			r.Language = lang
			if group != "" && !slices.Contains(r.Groups, group) {
				r.Groups = append(r.Groups, group)
			}
		} else {
			r.Notes = append(r.Notes, fmt.Sprintf("language %q is not configured: used the site default %q", code, s.DefaultLanguage))
		}
		delete(r.RegistrationInfo, languageKey)
	}
	return r
}

func language(s *site.Site, code string) (lang, group string, ok bool) {
	for _, lm := range s.Registration.LanguageMapping {
		if strings.EqualFold(lm.ExternalLanguageCode, code) {
			return lm.Language(), lm.GroupID, true
		}
	}
	for _, l := range s.Languages {
		if strings.EqualFold(l, code) {
			return l, "", true
		}
	}
	return "", "", false
}

// ParseTags reads a tags field: a list, or a comma-separated string.
func ParseTags(v any) []string {
	var raw []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			raw = append(raw, String(e))
		}
	default:
		raw = strings.Split(String(x), ",")
	}
	tags := []string{}
	for _, t := range raw {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return tags
}

var validate = validator.New(validator.WithRequiredStructEnabled())

// Validate checks the mandatory fields and names each bad one by the
// webhook key the sender used.
func Validate(s *site.Site, r Registrant) []domain.FieldError {
	m := s.Registration.MandatoryFieldsMapping
	out := controlCharacters(s, r)
	err := validate.Struct(r)
	if err == nil {
		return out
	}
	keys := map[string]string{"Email": m.EmailWebhookKey, "FirstName": m.FirstNameWebhookKey, "LastName": m.LastNameWebhookKey}
	for _, fe := range err.(validator.ValidationErrors) {
		msg := "is invalid"
		switch fe.Tag() {
		case "required":
			msg = "is required"
		case "email":
			msg = "is not a valid email address"
		case "max":
			msg = "is longer than " + fe.Param() + " characters"
		}
		out = append(out, domain.FieldError{Field: keys[fe.StructField()], Message: msg})
	}
	return out
}

// controlCharacters refuses CR, LF and other control characters (and bytes
// that are not UTF-8) in every mapped field: these values end up in email
// headers, iCalendar CN= parameters and callback headers, where a line break
// starts a new header or property.
func controlCharacters(s *site.Site, r Registrant) []domain.FieldError {
	m := s.Registration.MandatoryFieldsMapping
	var out []domain.FieldError
	check := func(field, v string) {
		if HasControl(v) {
			out = append(out, domain.FieldError{Field: field, Message: "contains control characters or invalid UTF-8"})
		}
	}
	check(m.EmailWebhookKey, r.Email)
	check(m.FirstNameWebhookKey, r.FirstName)
	check(m.LastNameWebhookKey, r.LastName)
	byObjectKey := map[string]string{}
	for _, fm := range s.Registration.FieldsMapping {
		if fm.UserObjectKey != "" {
			byObjectKey[fm.UserObjectKey] = fm.WebhookKey
		}
	}
	keys := make([]string, 0, len(r.UserObject))
	for k := range r.UserObject {
		keys = append(keys, k)
	}
	slices.Sort(keys) // one order for the answer
	for _, k := range keys {
		check(byObjectKey[k], r.UserObject[k])
	}
	for _, t := range r.Tags {
		check("tags", t)
	}
	return out
}

// HasControl reports control characters (C0, DEL, C1) or invalid UTF-8.
func HasControl(v string) bool {
	if !utf8.ValidString(v) {
		return true
	}
	return strings.IndexFunc(v, unicode.IsControl) >= 0
}
