package domain

// Target kinds of a delivery (deliveries.target_kind).
const (
	TargetTemplate = "template"
	TargetChannel  = "channel"
	// TargetPortal: an approval's call back to its Tyk portal (target id
	// = the portal id); started by the Approval workflow, not by matching.
	TargetPortal = "portal"
)

// Delivery statuses (deliveries.status).
const (
	DeliveryPending    = "pending"    // started, first attempt not made yet
	DeliveryWaiting    = "waiting"    // held until the object is READY
	DeliveryRetrying   = "retrying"   // failed, next attempt scheduled
	DeliveryDelivered  = "delivered"  // 2xx or every recipient handled
	DeliveryFailed     = "failed"     // permanent failure or schedule exhausted
	DeliveryCancelled  = "cancelled"  // an operator cancelled it
	DeliveryTargetGone = "targetGone" // 410 or target deleted/disabled
)

// DeliveryStatuses lists every status, for validating filters.
var DeliveryStatuses = []string{DeliveryPending, DeliveryWaiting, DeliveryRetrying, DeliveryDelivered,
	DeliveryFailed, DeliveryCancelled, DeliveryTargetGone}

// Finished reports whether a status is final.
func Finished(status string) bool {
	switch status {
	case DeliveryDelivered, DeliveryFailed, DeliveryCancelled, DeliveryTargetGone:
		return true
	}
	return false
}

// Recipient statuses (delivery_recipients.status; the Messaging service's names).
const (
	RecipientQueued    = "queued"  // resolved, not tried in this attempt yet
	RecipientSending   = "sending" // an SMTP transaction is under way
	RecipientProcessed = "processed"
	RecipientDeferred  = "deferred"
	RecipientDropped   = "dropped"
	// RecipientUnknown: the worker stopped during the SMTP transaction, so
	// whether the message left is unknown; it is not sent again.
	RecipientUnknown = "unknown"
)
