package notify

import (
	"bytes"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	"gatehouse/internal/condition"
	"gatehouse/internal/domain"
	"gatehouse/internal/signing"
)

// Defaults applied before validation.
const (
	DefaultTimeoutSeconds = 30
	MaxTimeoutSeconds     = 120
)

// Normalize fills defaults that Kaltura applies to omitted fields.
func Normalize(t *NotificationTemplate) {
	if t.Type == TypeHTTP {
		if t.Method == 0 {
			t.Method = MethodPost
		}
		if t.ContentType == 0 {
			t.ContentType = ContentForm
		}
		if t.AuthenticationMethod == 0 {
			t.AuthenticationMethod = 1
		}
	}
	if t.Type == TypeEmail && t.Format == 0 {
		t.Format = FormatHTML
	}
}

// Validate checks a template as it is about to be saved. System templates
// (partner 0) may leave the URL and recipients to the clone.
//
// A private key pasted into sslCertificate is moved to the write-only
// sslKey first, so it is stored as a secret and never returned.
func Validate(t *NotificationTemplate, sec *Secrets, prefix string) []domain.FieldError {
	if cert, key := SplitPrivateKey(t.SSLCertificate); key != "" {
		t.SSLCertificate = cert
		if sec.SSLKey == "" {
			sec.SSLKey = key
		}
	}
	a := &applier{prefix: prefix}
	system := t.PartnerID == SystemPartner
	if strings.TrimSpace(t.Name) == "" {
		a.fail(CodeCannotBeNull, "name is required", "name")
	}
	if strings.TrimSpace(t.EventType) == "" && t.Type != TypeBoolean {
		a.fail(CodeCannotBeNull, "eventType is required (1-12 or a plugin or Tyk event name)", "eventType")
	}
	if strings.TrimSpace(t.EventObjectType) == "" && t.Type != TypeBoolean {
		a.fail(CodeCannotBeNull, "eventObjectType is required (e.g. 1 for entries, 8 for users)", "eventObjectType")
	}
	for i, c := range t.EventConditions {
		if c.ObjectType == CondField && c.Field != nil {
			if _, err := condition.CompileBool(c.Field.Code); err != nil {
				a.fail(CodeInvalidValue, "the expression does not compile: "+err.Error(), "eventConditions", strconv.Itoa(i), "field", "code")
			}
		}
	}
	a.compileParams(t.ContentParameters, "contentParameters")
	a.compileParams(t.UserParameters, "userParameters")
	if _, err := ParseSchedule(t.RetrySchedule); err != nil {
		a.fail(CodeInvalidValue, err.Error(), "retrySchedule")
	}
	if sec.StandardWebhooksSecret != "" {
		if _, err := signing.ParseSecret(sec.StandardWebhooksSecret); err != nil {
			a.fail(CodeInvalidValue, err.Error(), "standardWebhooksSecret")
		}
	}

	switch t.Type {
	case TypeHTTP:
		if strings.TrimSpace(t.URL) == "" {
			if !system {
				a.fail(CodeCannotBeNull, "url is required", "url")
			}
		} else if err := checkURL(Substitute(t.URL, UserParams(t), nil)); err != nil {
			a.fail(CodeInvalidValue, err.Error(), "url")
		}
		if t.Timeout < 0 || t.Timeout > MaxTimeoutSeconds {
			a.fail(CodeInvalidValue, fmt.Sprintf("timeout must be between 1 and %d seconds", MaxTimeoutSeconds), "timeout")
		}
		if t.Data != nil {
			switch t.Data.ObjectType {
			case DataText:
				if t.Data.Content.Evaluated() {
					a.compileString(t.Data.Content.Code, "data", "content", "code")
				}
			case DataFields:
				a.compileParams(t.Data.Fields, "data", "fields")
			}
		}
		if t.SSLCertificate != "" {
			if _, err := ClientCertificate(t, *sec); err != nil {
				a.fail(CodeInvalidValue, err.Error(), "sslCertificate")
			}
		}
		if t.AuthenticationMethod > 1 && t.AuthenticationMethod != 16 {
			a.fail(CodeInvalidEnum, "only HTTP Basic (1) or Any (16, sent as Basic) authentication is supported", "authenticationMethod")
		}
	case TypeEmail:
		if strings.TrimSpace(t.Subject) == "" {
			a.fail(CodeCannotBeNull, "subject is required", "subject")
		}
		if strings.TrimSpace(t.Body) == "" {
			a.fail(CodeCannotBeNull, "body is required", "body")
		}
		if t.To == nil && !system {
			a.fail(CodeCannotBeNull, "to is required (a recipient provider)", "to")
		}
		if t.FromEmail != "" {
			if _, err := mail.ParseAddress(t.FromEmail); err != nil {
				a.fail(CodeInvalidValue, fmt.Sprintf("%q is not an email address", t.FromEmail), "fromEmail")
			}
		}
		for _, p := range []struct {
			name string
			p    *RecipientProvider
		}{{"to", t.To}, {"cc", t.Cc}, {"bcc", t.Bcc}} {
			if p.p == nil {
				continue
			}
			for i, r := range p.p.EmailRecipients {
				if r.Email == nil {
					continue
				}
				if r.Email.Evaluated() {
					a.compileString(r.Email.Code, p.name, "emailRecipients", strconv.Itoa(i), "email", "code")
				} else if _, err := mail.ParseAddress(r.Email.Value); err != nil && !strings.Contains(r.Email.Value, "{") {
					a.fail(CodeInvalidValue, fmt.Sprintf("%q is not an email address", r.Email.Value), p.name, "emailRecipients", strconv.Itoa(i), "email", "value")
				}
			}
			for _, v := range []struct {
				name string
				v    *Value
			}{{"userId", p.p.UserID}, {"groupId", p.p.GroupID}, {"categoryId", p.p.CategoryID}} {
				if v.v.Evaluated() {
					a.compileString(v.v.Code, p.name, v.name, "code")
				}
			}
		}
	}
	return a.errs
}

func (a *applier) compileParams(ps []Parameter, path ...string) {
	for i, p := range ps {
		if p.Value.Evaluated() {
			a.compileString(p.Value.Code, append(append([]string{}, path...), strconv.Itoa(i), "value", "code")...)
		}
	}
}

func (a *applier) compileString(code string, path ...string) {
	if _, err := condition.CompileString(code); err != nil {
		a.fail(CodeInvalidValue, "the expression does not compile: "+err.Error(), path...)
	}
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q must be an http or https URL", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	if u.User != nil {
		return fmt.Errorf("put credentials in authUsername/authPassword, not in the URL")
	}
	return nil
}

// UserParams are the template's static {key} tokens.
func UserParams(t *NotificationTemplate) map[string]string {
	out := map[string]string{}
	for _, p := range t.UserParameters {
		if p.Value != nil && !p.Value.Evaluated() {
			out[p.Key] = p.Value.Value
		}
	}
	return out
}

// Substitute replaces {key} tokens from the maps, earlier maps first.
func Substitute(text string, params map[string]string, more map[string]string) string {
	merged := map[string]string{}
	for k, v := range more {
		merged[k] = v
	}
	for k, v := range params {
		merged[k] = v
	}
	return condition.Substitute(text, merged)
}

// ClientCertificate parses the template's client certificate and key (PEM;
// the key may be in sslKey or in the certificate's PEM itself).
func ClientCertificate(t *NotificationTemplate, sec Secrets) (tls.Certificate, error) {
	if sec.SSLKeyPassword != "" || sec.SSLCertificatePassword != "" {
		return tls.Certificate{}, fmt.Errorf("encrypted keys are not supported: send sslCertificate and sslKey as unencrypted PEM")
	}
	if t.SSLCertificateType != "" && !strings.EqualFold(t.SSLCertificateType, "PEM") {
		return tls.Certificate{}, fmt.Errorf("sslCertificateType %q is not supported: use PEM", t.SSLCertificateType)
	}
	key := sec.SSLKey
	if key == "" {
		key = t.SSLCertificate
	}
	cert, err := tls.X509KeyPair([]byte(t.SSLCertificate), []byte(key))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("sslCertificate and sslKey are not a PEM certificate and its key: %v", err)
	}
	return cert, nil
}

// SplitPrivateKey separates the PEM blocks of a certificate field into the
// public part and any private key in it ("PRIVATE KEY", "RSA PRIVATE KEY",
// "EC PRIVATE KEY", ...). Text outside PEM blocks is kept with the public part.
func SplitPrivateKey(certPEM string) (public, key string) {
	rest := []byte(certPEM)
	var pub, priv []byte
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			pub = append(pub, rest...)
			break
		}
		start := len(rest) - len(next)
		text := rest[:start]
		if strings.Contains(block.Type, "PRIVATE KEY") {
			// Keep what preceded the block's BEGIN line with the public part.
			if i := bytes.Index(text, []byte("-----BEGIN")); i > 0 {
				pub = append(pub, text[:i]...)
				text = text[i:]
			}
			priv = append(priv, text...)
		} else {
			pub = append(pub, text...)
		}
		rest = next
	}
	if len(priv) == 0 {
		return certPEM, ""
	}
	return strings.TrimSpace(string(pub)) + "\n", strings.TrimSpace(string(priv)) + "\n"
}
