package portal

// ObjectKind names what an event's Message describes, so events about the
// same portal object share an object id (and a snapshot) while a user and
// an application with the same ID do not: user, application, credential,
// accessRequest, organisation, organisationRequest or invite.
func (e *Event) ObjectKind() string {
	switch e.Payload.(type) {
	case *UserMessage:
		return "user"
	case *ApplicationMessage:
		return "application"
	case *CredentialMessage:
		return "credential"
	case *AccessRequestMessage:
		return "accessRequest"
	case *OrganisationMessage:
		return "organisation"
	case *OrganisationRequestMessage:
		return "organisationRequest"
	}
	return "invite"
}

// ObjectID is the Gatehouse object id of the event's entity on a portal:
// "{portalId}/{ObjectKind}/{EntityID}" (at most 125 bytes with ValidID).
func (e *Event) ObjectID(portalID string) string {
	return portalID + "/" + e.ObjectKind() + "/" + e.EntityID()
}
