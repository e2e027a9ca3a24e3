package portal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// EntityID names what the event is about, for deduplication and approval
// ids. It is short (at most 64 bytes) and uses [0-9a-z-] only, so it fits
// a workflow id and a VARCHAR(64) column:
//   - users, applications, credentials, organisations, access requests: the
//     portal's ID ("29");
//   - an access request the portal sent with ID 0: "app{AppID}-plan{PlanID}-user{ByUser}";
//   - organisation requests (no ID in the payload): "{AdminID}-{first 16 hex
//     of sha256(Name)}";
//   - RegisterInvite: its ID when the object has an integer "ID", else
//     "sha256-{first 32 hex of sha256(compacted Message)}".
func (e *Event) EntityID() string {
	switch m := e.Payload.(type) {
	case *UserMessage:
		return id(m.ID)
	case *ApplicationMessage:
		return id(m.ID)
	case *CredentialMessage:
		return id(m.ID)
	case *OrganisationMessage:
		return id(m.ID)
	case *AccessRequestMessage:
		if m.Provisional() {
			return fmt.Sprintf("app%d-plan%d-user%d", m.AppID, m.PlanID, m.ByUser)
		}
		return id(m.ID)
	case *OrganisationRequestMessage:
		return OrganisationRequestID(m.AdminID, m.Name)
	case InviteMessage:
		if n, ok := m["ID"].(json.Number); ok {
			if v, err := n.Int64(); err == nil {
				return id(v)
			}
		}
		var buf []byte
		if b, err := compact(e.Message); err == nil {
			buf = b
		} else {
			buf = e.Message
		}
		sum := sha256.Sum256(buf)
		return "sha256-" + hex.EncodeToString(sum[:16])
	}
	return ""
}

// OrganisationRequestID is the entity id of an organisation request: the
// requester and a digest of the requested name (names are free text).
func OrganisationRequestID(adminID int64, name string) string {
	sum := sha256.Sum256([]byte(name))
	return id(adminID) + "-" + hex.EncodeToString(sum[:8])
}

func id(v int64) string { return strconv.FormatInt(v, 10) }

func compact(raw json.RawMessage) ([]byte, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DedupKey identifies a delivery of the same event: sha256 over the stored
// event name, the entity id and the Timestamp (as an instant, UTC). The
// portal retries failed deliveries with the same body, and has no event id.
func (e *Event) DedupKey() [32]byte {
	ts := e.Timestamp.UTC().Format(time.RFC3339Nano)
	return sha256.Sum256([]byte(e.Name + "\x00" + e.EntityID() + "\x00" + ts))
}

// Start is the approval an event asks for.
type Start struct {
	Kind     Kind
	EntityID string
}

// StartsApproval reports the approval the event may start:
//   - AccessRequestCreated with Status pending: accessRequest;
//   - OrganisationRequestCreated (always pending: the portal's UI decides
//     otherwise): organisationRequest;
//   - UserRegistered with Status inactive: userRegistration.
//
// Whether one is started is the portal's policy (autoApprove, kind not
// configured) and the caller's business.
func (e *Event) StartsApproval() (Start, bool) {
	switch m := e.Payload.(type) {
	case *AccessRequestMessage:
		if e.Name == EventAccessRequestCreated && m.Status == StatusPending {
			return Start{KindAccessRequest, e.EntityID()}, true
		}
	case *OrganisationRequestMessage:
		if e.Name == EventOrganisationRequestCreated {
			return Start{KindOrganisationRequest, e.EntityID()}, true
		}
	case *UserMessage:
		if e.Name == EventUserRegistered && m.Status == UserInactive {
			return Start{KindUserRegistration, e.EntityID()}, true
		}
	}
	return Start{}, false
}

// Close is a decision the portal reports itself (decided in the portal).
type Close struct {
	Kind     Kind
	Decision Decision
	// EntityID is the approval's entity; empty for OrganisationRequestApproved,
	// whose Message is the requester's user: find the open request by
	// RequesterID.
	EntityID string
	// RequesterID is the user who asked (AdminID, or the user's ID); 0 for
	// access requests, whose ByUser is the deciding admin.
	RequesterID int64
}

// ClosesApproval reports the approval a portal-side decision closes:
// AccessRequestApproved/Rejected, OrganisationRequestApproved/Rejected and
// UserAccountActivated (a registration approved in the portal).
func (e *Event) ClosesApproval() (Close, bool) {
	switch m := e.Payload.(type) {
	case *AccessRequestMessage:
		switch e.Name {
		case EventAccessRequestApproved:
			return Close{KindAccessRequest, Approved, e.EntityID(), 0}, true
		case EventAccessRequestRejected:
			return Close{KindAccessRequest, Rejected, e.EntityID(), 0}, true
		}
	case *OrganisationRequestMessage:
		if e.Name == EventOrganisationRequestRejected {
			return Close{KindOrganisationRequest, Rejected, e.EntityID(), m.AdminID}, true
		}
	case *UserMessage:
		switch e.Name {
		case EventOrganisationRequestApproved:
			return Close{KindOrganisationRequest, Approved, "", m.ID}, true
		case EventUserAccountActivated:
			return Close{KindUserRegistration, Approved, e.EntityID(), m.ID}, true
		}
	}
	return Close{}, false
}
