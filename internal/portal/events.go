// Package portal is the Tyk Enterprise Developer Portal's side of Gatehouse
// as a domain: the webhook envelope the portal sends, its event names, the
// typed messages the portal documents, the identity of the entity an event
// is about (for deduplication) and the approval an event may start or
// close. It has no HTTP server and no store; gateway and workflows use it.
//
// Source: the portal's webhook documentation (../shared/seeds/002_*.txt)
// and its OpenAPI document (portal 1.14, Webhook-create.Events enum).
package portal

import "strings"

// Event names, in the portal's own spelling (Organisation*). The seed's
// list spells Organization*; Canonical accepts both.
const (
	EventUserRegistered              = "UserRegistered"
	EventUserAccountActivated        = "UserAccountActivated"
	EventUserAccountDeactivated      = "UserAccountDeactivated"
	EventPasswordReset               = "PasswordReset"
	EventApplicationRegistered       = "ApplicationRegistered"
	EventCredentialRegistered        = "CredentialRegistered"
	EventAccessRequestCreated        = "AccessRequestCreated"
	EventAccessRequestApproved       = "AccessRequestApproved"
	EventAccessRequestRejected       = "AccessRequestRejected"
	EventOrganisationRegistered      = "OrganisationRegistered"
	EventOrganisationRequestCreated  = "OrganisationRequestCreated"
	EventOrganisationRequestApproved = "OrganisationRequestApproved"
	EventOrganisationRequestRejected = "OrganisationRequestRejected"
	// EventRegisterInvite is in the OpenAPI enum but has no documented
	// payload: any JSON object is accepted.
	EventRegisterInvite = "RegisterInvite"
)

// eventNames is the catalogue in the order of the portal's documentation.
var eventNames = []string{
	EventUserRegistered,
	EventUserAccountActivated,
	EventUserAccountDeactivated,
	EventPasswordReset,
	EventApplicationRegistered,
	EventCredentialRegistered,
	EventAccessRequestCreated,
	EventAccessRequestApproved,
	EventAccessRequestRejected,
	EventOrganisationRegistered,
	EventOrganisationRequestCreated,
	EventOrganisationRequestApproved,
	EventOrganisationRequestRejected,
	EventRegisterInvite,
}

// EventNames returns the 14 event names the portal sends, spelled
// Organisation*. The slice is a copy.
func EventNames() []string { return append([]string(nil), eventNames...) }

// Canonical maps an event name as received to the stored spelling:
// "OrganizationRequestCreated" becomes "OrganisationRequestCreated". The
// match is exact otherwise (the portal sends fixed names); ok is false for
// a name not in the catalogue.
func Canonical(name string) (canonical string, ok bool) {
	if rest, found := strings.CutPrefix(name, "Organization"); found {
		name = "Organisation" + rest
	}
	for _, n := range eventNames {
		if n == name {
			return n, true
		}
	}
	return "", false
}

// Kind is the kind of approval an event can start.
type Kind string

// Approval kinds; the same names key the portal's approval policy
// (approvals.accessRequest, ...).
const (
	KindAccessRequest       Kind = "accessRequest"
	KindOrganisationRequest Kind = "organisationRequest"
	KindUserRegistration    Kind = "userRegistration"
)

// KindSiteRegistration is a registration on a Gatehouse site with
// requireApproval: not a portal kind (a site names its policy under
// webhooksiteregistration.approval), but the same Approval workflow, with
// the site's id where a portal's would be.
const KindSiteRegistration Kind = "siteRegistration"

// Kinds returns the approval kinds a portal's policy names.
func Kinds() []Kind {
	return []Kind{KindAccessRequest, KindOrganisationRequest, KindUserRegistration}
}

// AllKinds are Kinds and KindSiteRegistration: what approvals list.
func AllKinds() []Kind { return append(Kinds(), KindSiteRegistration) }

// ParseKind checks a kind name (from an URL or a policy key).
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds() {
		if string(k) == s {
			return k, nil
		}
	}
	names := make([]string, 0, 3)
	for _, k := range Kinds() {
		names = append(names, string(k))
	}
	return "", UnknownName("kind", s, names)
}

// Decision is the outcome of an approval.
type Decision string

// Decisions.
const (
	Approved Decision = "approved"
	Rejected Decision = "rejected"
)
