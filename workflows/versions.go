package workflows

// Change ids for workflow.GetVersion, in one place so a reader sees every
// step change that running workflows must replay across. Add new ids at the
// bottom; never reuse or rename one.
const (
	// changeLinkEmailLocal: the link email is a local activity (one workflow
	// task per registrant instead of an activity task and a second workflow task).
	changeLinkEmailLocal = "link-email-local-activity"
	// changeDeliveryMarkStopped: a delivery that ends in an error records
	// its row as failed (MarkDelivery) before the workflow fails.
	changeDeliveryMarkStopped = "delivery-mark-stopped"
	// changeDeliveryFirstTask: a callback's first attempt is a local
	// activity in the first workflow task (later ones stay activities after
	// durable timers).
	changeDeliveryFirstTask = "delivery-first-attempt-local"
)
