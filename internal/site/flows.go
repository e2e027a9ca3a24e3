package site

import "gatehouse/internal/domain"

// NoEmailFlow reports the seed's registration "where no emails are
// involved": a magic-link site with sendEmail off. The webhook's answer
// then carries the person's sign-in link for the CRM to send.
func (s *Site) NoEmailFlow() bool {
	return s.Registration.AuthMethod == AuthMagicLink && !s.SendsEmail()
}

// LinkPurpose is the kind of link the site's emails carry: magic links on
// magic-link sites, set-password links otherwise (domain.Purpose*).
func (s *Site) LinkPurpose() string {
	if s.Registration.AuthMethod == AuthMagicLink {
		return domain.PurposeMagicLink
	}
	return domain.PurposePassword
}
