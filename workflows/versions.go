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
	// changeCallbackDelivery: the portal callback is a Delivery (child
	// workflow, target kind portal) instead of the approval's own CallPortal
	// loop; organisationApproval create-organisation calls the portal too.
	changeCallbackDelivery = "approval-callback-delivery"
	// changeEscalationExpiry: an escalation waits escalateTo.expireAfter
	// when set (before: always the policy's expireAfter).
	changeEscalationExpiry = "approval-escalation-expiry"
	// changeRegistrationApproval: a registration on a site with
	// requireApproval is held for an Approval child workflow before any
	// email is sent.
	changeRegistrationApproval = "registration-approval"
	// changeApprovalChannels: an approval policy's approvers.channels vote
	// too; each is sent a signed request with decision links (a Delivery).
	changeApprovalChannels = "approval-channel-approvers"
	// changeBlockedNoLink: a submission for a blocked user updates the data
	// and ends without a link (before, it emailed a link that was refused).
	changeBlockedNoLink = "blocked-no-link"
	// changeSendEmailOffConfirmed: a site with sendEmail off sends
	// webhookConfirmedEmailTemplate to a new user (password sites).
	changeSendEmailOffConfirmed = "send-email-off-confirmed"
	// changeDeliveryFirstTask: a callback's first attempt is a local
	// activity in the first workflow task (later ones stay activities after
	// durable timers).
	changeDeliveryFirstTask = "delivery-first-attempt-local"
	// changeVoteAfterRequested: a vote that arrives before the requested
	// entry is recorded waits for it (before, it took a seq that the
	// requested entry's seq then overwrote, and the store dropped the vote).
	changeVoteAfterRequested = "approval-vote-after-requested"
)
