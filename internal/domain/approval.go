package domain

// Approval statuses, as the approvals table, the API's ?status= filter and
// the GatehouseStatus search attribute spell them.
const (
	ApprovalPending     = "pending"
	ApprovalUnresolved  = "unresolved" // an access request sent with ID 0 that listing could not pin down
	ApprovalEscalated   = "escalated"  // still open, asking escalateTo
	ApprovalApproved    = "approved"
	ApprovalRejected    = "rejected"
	ApprovalExpired     = "expired" // expiry rejected it
	ApprovalPortalError = "portal-error"
)

// How an approval was decided (approvals.decided_via).
const (
	ViaAPI    = "api"
	ViaLink   = "link"
	ViaPortal = "portal"
	ViaAuto   = "auto"
	ViaExpiry = "expiry"
)

// Callback status of an approval (approvals.callback_status).
const (
	CallbackNone    = "none"
	CallbackPending = "pending" // the portal's Delivery is under way
	CallbackDone    = "done"
	CallbackFailed  = "failed"
)

// Approval events written to the outbox (object type ObjectTypeApproval).
const (
	EventApprovalRequested = "ApprovalRequested"
	EventApprovalReminded  = "ApprovalReminded"
	EventApprovalEscalated = "ApprovalEscalated"
	EventApprovalDecided   = "ApprovalDecided"
	EventApprovalExpired   = "ApprovalExpired"
)

// ObjectTypeApproval is the object type of the approval events.
const ObjectTypeApproval = "approval"
