package site

import (
	"net/url"
	"strings"

	"gatehouse/internal/domain"
)

// How the portal receives the ID token after a sign-in
// (webhooksiteregistration.signInResponseMode).
const (
	ResponseQuery    = "query"     // a redirect to the callback with ?id_token=
	ResponseFormPost = "form_post" // an auto-submitting form POSTs id_token to the callback
)

// SignInCallback is where a signed-in person is sent with their ID token:
// signInCallbackUrl, or the complete button's target when unset; a path is
// resolved like the complete button's.
func (s *Site) SignInCallback(publicURL string) string {
	target := s.Registration.SignInCallbackURL
	if target == "" {
		return s.CompleteURL(publicURL)
	}
	if strings.HasPrefix(target, "/") {
		base := s.PortalURL
		if base == "" {
			base = publicURL
		}
		return strings.TrimRight(base, "/") + target
	}
	return target
}

func (s *Site) validateSignIn() []domain.FieldError {
	const p = "webhooksiteregistration."
	var errs []domain.FieldError
	r := s.Registration
	if r.SignInResponseMode != ResponseQuery && r.SignInResponseMode != ResponseFormPost {
		errs = append(errs, domain.FieldError{Field: p + "signInResponseMode", Message: `must be "query" or "form_post"`})
	}
	if t := r.SignInCallbackURL; t != "" {
		u, err := url.Parse(t)
		ok := err == nil && u.Fragment == "" && u.User == nil &&
			(strings.HasPrefix(t, "/") && !strings.HasPrefix(t, "//") || (u.Scheme == "https" || u.Scheme == "http") && u.Host != "")
		if !ok || strings.ContainsAny(t, " \t\r\n\"'<>") {
			errs = append(errs, domain.FieldError{Field: p + "signInCallbackUrl", Message: "must be a path or an http(s) URL without a fragment"})
		}
	}
	return errs
}
