// Package emailtmpl holds a site's email templates: per-language variants
// with fallback to the site's default language, the seed's tokens, and the
// built-in templates every template slot starts with.
package emailtmpl

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"unicode"

	"gatehouse/internal/domain"
	"gatehouse/internal/site"
)

// Variant is one language's subject and bodies.
type Variant struct {
	Subject string `json:"subject"`
	HTML    string `json:"html"`
	Text    string `json:"text"`
}

// EmailTemplate is what PUT /api/v1/sites/{siteId}/email-templates/{templateId} stores.
type EmailTemplate struct {
	ID           string             `json:"id"`
	Subject      string             `json:"subject"`
	HTML         string             `json:"html"`
	Text         string             `json:"text"`
	Translations map[string]Variant `json:"translations,omitempty"`
	Builtin      bool               `json:"builtin,omitempty"`
}

// Values fill the tokens.
type Values struct {
	FirstName string
	LastName  string
	Email     string
	EventName string
	URL       string
	Fields    map[string]string // {FIELD:<key>}: registration info and user object fields
}

// Rendered is a template with its tokens filled in.
type Rendered struct {
	Language string
	Subject  string
	HTML     string
	Text     string
}

var tokenRE = regexp.MustCompile(`\{(FIRSTNAME|LASTNAME|EMAIL|EVENT_NAME|URL|FIELD:[^{}\s]+)\}`)

// anyTokenRE finds things that look like tokens, to refuse misspelt ones.
var anyTokenRE = regexp.MustCompile(`\{[A-Z][A-Z_]*(:[^{}\s]*)?\}`)

// Validate checks a template before it is saved; languages are the site's.
func (t EmailTemplate) Validate(languages []string) []domain.FieldError {
	var errs []domain.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, domain.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !site.ValidID(t.ID) {
		bad("templateId", "must be 1-64 letters, digits, '.', '_' or '-'")
	} else if site.IsBuiltinTemplate(t.ID) {
		bad("templateId", "%q is a built-in template; save yours under another id", t.ID)
	}
	check := func(prefix string, v Variant, required bool) {
		if required && strings.TrimSpace(v.Subject) == "" {
			bad(prefix+"subject", "is required")
		}
		if required && strings.TrimSpace(v.HTML) == "" && strings.TrimSpace(v.Text) == "" {
			bad(prefix+"html", "html or text is required")
		}
		for field, s := range map[string]string{"subject": v.Subject, "html": v.HTML, "text": v.Text} {
			for _, tok := range anyTokenRE.FindAllString(s, -1) {
				if !tokenRE.MatchString(tok) {
					bad(prefix+field, "unknown token %s (known: {FIRSTNAME} {LASTNAME} {EMAIL} {EVENT_NAME} {URL} {FIELD:<key>})", tok)
				}
			}
		}
	}
	check("", Variant{t.Subject, t.HTML, t.Text}, true)
	for lang, v := range t.Translations {
		known := false
		for _, l := range languages {
			known = known || l == lang
		}
		if !known {
			bad("translations."+lang, "%q is not one of the site's languages %v", lang, languages)
		}
		check("translations."+lang+".", v, false)
	}
	return errs
}

// Render picks the variant for lang (falling back field by field to the
// template's default, which is in the site's default language) and fills
// the tokens. Values are HTML-escaped in the HTML body.
func (t EmailTemplate) Render(lang string, v Values) Rendered {
	variant := Variant{t.Subject, t.HTML, t.Text}
	used := ""
	if tr, ok := t.Translations[lang]; ok {
		used = lang
		if tr.Subject != "" {
			variant.Subject = tr.Subject
		}
		if tr.HTML != "" || tr.Text != "" {
			variant.HTML, variant.Text = tr.HTML, tr.Text
		}
	}
	return Rendered{
		Language: used,
		Subject:  fill(variant.Subject, v, subjectText),
		HTML:     fill(variant.HTML, v, html.EscapeString),
		Text:     fill(variant.Text, v, func(s string) string { return s }),
	}
}

// subjectText keeps a value on the subject's one line: registration fields
// are a stranger's text and may hold line breaks.
func subjectText(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}

func fill(s string, v Values, escape func(string) string) string {
	return tokenRE.ReplaceAllStringFunc(s, func(tok string) string {
		name := tok[1 : len(tok)-1]
		switch name {
		case "FIRSTNAME":
			return escape(v.FirstName)
		case "LASTNAME":
			return escape(v.LastName)
		case "EMAIL":
			return escape(v.Email)
		case "EVENT_NAME":
			return escape(v.EventName)
		case "URL":
			return escape(v.URL)
		}
		return escape(v.Fields[strings.TrimPrefix(name, "FIELD:")])
	})
}

// Builtin returns the template shipped for a built-in id.
func Builtin(id string) (EmailTemplate, bool) {
	t, ok := builtins[id]
	if ok {
		t.ID, t.Builtin = id, true
	}
	return t, ok
}

// BuiltinIDs lists the shipped templates.
func BuiltinIDs() []string {
	return []string{site.TemplateSetPassword, site.TemplateSetPasswordPostEvent, site.TemplateMagicLink,
		site.TemplateMagicLinkPostEvent, site.TemplateICal, site.TemplateConfirmed, site.TemplateConfirmedPostEvent}
}

func page(lines ...string) string {
	return `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">` + strings.Join(lines, "") + `</body></html>`
}

var builtins = map[string]EmailTemplate{
	site.TemplateSetPassword: {
		Subject: "Set your password for {EVENT_NAME}",
		HTML: page(`<p>Hello {FIRSTNAME},</p><p>You are registered for {EVENT_NAME}. Set your password to sign in:</p>`,
			`<p><a href="{URL}">Set my password</a></p><p>If the button does not work, open {URL}</p>`),
		Text: "Hello {FIRSTNAME},\n\nYou are registered for {EVENT_NAME}. Set your password to sign in:\n{URL}\n",
	},
	site.TemplateSetPasswordPostEvent: {
		Subject: "{EVENT_NAME} is over: set your password to watch the recordings",
		HTML: page(`<p>Hello {FIRSTNAME},</p><p>{EVENT_NAME} has ended, and its recordings are waiting for you. Set your password to sign in:</p>`,
			`<p><a href="{URL}">Set my password</a></p><p>If the button does not work, open {URL}</p>`),
		Text: "Hello {FIRSTNAME},\n\n{EVENT_NAME} has ended, and its recordings are waiting for you. Set your password to sign in:\n{URL}\n",
	},
	site.TemplateMagicLink: {
		Subject: "Your sign-in link for {EVENT_NAME}",
		HTML: page(`<p>Hello {FIRSTNAME},</p><p>You are registered for {EVENT_NAME}. Sign in with this link (it works once):</p>`,
			`<p><a href="{URL}">Sign in</a></p><p>If the button does not work, open {URL}</p>`),
		Text: "Hello {FIRSTNAME},\n\nYou are registered for {EVENT_NAME}. Sign in with this link (it works once):\n{URL}\n",
	},
	site.TemplateMagicLinkPostEvent: {
		Subject: "{EVENT_NAME} is over: your sign-in link to the recordings",
		HTML: page(`<p>Hello {FIRSTNAME},</p><p>{EVENT_NAME} has ended. Sign in with this link (it works once) to watch the recordings:</p>`,
			`<p><a href="{URL}">Sign in</a></p><p>If the button does not work, open {URL}</p>`),
		Text: "Hello {FIRSTNAME},\n\n{EVENT_NAME} has ended. Sign in with this link (it works once) to watch the recordings:\n{URL}\n",
	},
	site.TemplateICal: {
		Subject: "Invitation: {EVENT_NAME}",
		HTML: page(`<p>Hello {FIRSTNAME},</p><p>You are invited to {EVENT_NAME}. The invitation is attached for your calendar.</p>`,
			`<p>Before the event, activate your account: <a href="{URL}">{URL}</a></p>`),
		Text: "Hello {FIRSTNAME},\n\nYou are invited to {EVENT_NAME}. The invitation is attached for your calendar.\nBefore the event, activate your account: {URL}\n",
	},
	site.TemplateConfirmed: {
		Subject: "You are all set for {EVENT_NAME}",
		HTML:    page(`<p>Hello {FIRSTNAME},</p><p>Your account for {EVENT_NAME} is confirmed and ready. Sign in with {EMAIL}.</p>`),
		Text:    "Hello {FIRSTNAME},\n\nYour account for {EVENT_NAME} is confirmed and ready. Sign in with {EMAIL}.\n",
	},
	site.TemplateConfirmedPostEvent: {
		Subject: "Your account is ready: watch {EVENT_NAME} on demand",
		HTML:    page(`<p>Hello {FIRSTNAME},</p><p>Your account is confirmed. {EVENT_NAME} has ended; its recordings are available when you sign in with {EMAIL}.</p>`),
		Text:    "Hello {FIRSTNAME},\n\nYour account is confirmed. {EVENT_NAME} has ended; its recordings are available when you sign in with {EMAIL}.\n",
	},
}
