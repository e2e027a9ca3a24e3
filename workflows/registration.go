package workflows

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"gatehouse/activities"
	"gatehouse/internal/domain"
	"gatehouse/internal/mapping"
	"gatehouse/internal/portal"
	"gatehouse/internal/searchattr"
	"gatehouse/internal/site"
)

// Signal and query names of the registration workflow.
const (
	RegistrationSubmitSignal    = "submit"
	RegistrationResendSignal    = "resend"
	RegistrationActivatedSignal = "activated"
	RegistrationStateQuery      = "state"
)

// RegistrationID is the one workflow id per site and person.
func RegistrationID(siteID, userID string) string { return "Registration:" + siteID + ":" + userID }

// RegistrationStartOptions start a registration when a signal finds none
// running: by its id, with the search attributes operators filter on. The
// email is indexed only when indexEmail (GATEHOUSE_INDEX_EMAIL) says so:
// search attributes are not encrypted, and Temporal's docs forbid personal
// data in them; the user id is in the workflow id.
func RegistrationStartOptions(taskQueue string, in RegistrationInput, indexEmail bool) client.StartWorkflowOptions {
	attrs := []temporal.SearchAttributeUpdate{searchattr.Site.ValueSet(in.SiteID), searchattr.Status.ValueSet(StatusReceived)}
	if indexEmail {
		attrs = append(attrs, searchattr.Email.ValueSet(in.Email))
	}
	return client.StartWorkflowOptions{
		ID:                    RegistrationID(in.SiteID, in.UserID),
		TaskQueue:             taskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(attrs...),
	}
}

// RegistrationInput names the registrant. Resume is set when the workflow
// continues as new while waiting.
type RegistrationInput struct {
	SiteID string
	UserID string
	Email  string
	Resume *RegistrationResume `json:",omitempty"`
}

// RegistrationResume carries a waiting registration across continue-as-new.
type RegistrationResume struct {
	State     RegistrationState
	ExpiresAt time.Time
	Sequence  int
	Site      activities.SiteSummary
}

// Submission is one accepted webhook call for the person.
type Submission struct {
	RequestID    string
	ReceivedAt   time.Time
	Action       domain.UpsertAction
	Registrant   mapping.Registrant
	ExplicitRole bool
	SendEmail    *bool // nil: the site's sendEmail setting
	Source       string
}

// Resend asks for a new link with the template of the current phase.
type Resend struct {
	RequestID   string
	RequestedAt time.Time
}

// Activated reports that the person set a password or used a magic link
// (already stored in MySQL by the gateway, with its event).
type Activated struct {
	Method string
	At     time.Time
}

// Registration statuses, also the GatehouseStatus search attribute.
const (
	StatusReceived     = "received"
	StatusWaiting      = "waiting"       // link sent, waiting for the person
	StatusActive       = "active"        // activated and confirmed
	StatusUpdated      = "updated"       // an already active (or update-only) user was updated
	StatusCreated      = "created"       // created without email (sendEmail off)
	StatusExpired      = "expired"       // the link expired unused
	StatusMissing      = "missing"       // an update for a user that does not exist
	StatusSiteDeleted  = "site-deleted"  // the site or the user was removed meanwhile
	StatusEmailRefused = "email-refused" // the SMTP server refused the address for good
	StatusHeld         = "held"          // waiting for the site's approval: nothing sent yet
	StatusRejected     = "rejected"      // the site's approval rejected the user: blocked
	StatusBlocked      = "blocked"       // the user is blocked: data updated, no link sent
)

// RegistrationState is what the state query and the result show.
type RegistrationState struct {
	Status        string     `json:"status"`
	Phase         site.Phase `json:"phase"`
	LinkExpiresAt *time.Time `json:"linkExpiresAt,omitempty"`
	LinksSent     int        `json:"linksSent"`
	Submissions   int        `json:"submissions"`
	Notes         []string   `json:"notes,omitempty"`
}

type registration struct {
	in        RegistrationInput
	state     RegistrationState
	site      activities.SiteSummary
	siteRead  bool // site holds what an activity read in this run
	waiting   bool
	expiresAt time.Time
	sequence  int

	submits, resends, activations workflow.ReceiveChannel
}

// Registration walks one person from webhook to active account: upsert the
// user, send the link (email and/or calendar invitation, pre- or post-event
// templates), wait for activation or expiry, confirm. Every webhook call,
// resend and activation reaches it as a signal, so duplicates converge here.
func Registration(ctx workflow.Context, in RegistrationInput) (RegistrationState, error) {
	r := &registration{
		in:          in,
		state:       RegistrationState{Status: StatusReceived, Phase: site.PreEvent},
		submits:     workflow.GetSignalChannel(ctx, RegistrationSubmitSignal),
		resends:     workflow.GetSignalChannel(ctx, RegistrationResendSignal),
		activations: workflow.GetSignalChannel(ctx, RegistrationActivatedSignal),
	}
	if in.Resume != nil {
		r.state, r.expiresAt, r.sequence, r.site = in.Resume.State, in.Resume.ExpiresAt, in.Resume.Sequence, in.Resume.Site
		r.waiting, r.siteRead = true, true
	}
	if err := workflow.SetQueryHandler(ctx, RegistrationStateQuery, func() (RegistrationState, error) { return r.state, nil }); err != nil {
		return r.state, err
	}
	return r.run(ctx)
}

func (r *registration) run(ctx workflow.Context) (RegistrationState, error) {
	for {
		if !r.waiting && !r.pending() {
			return r.state, nil
		}
		if r.waiting && !r.pending() && workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return r.state, workflow.NewContinueAsNewError(ctx, Registration, RegistrationInput{
				SiteID: r.in.SiteID, UserID: r.in.UserID, Email: r.in.Email,
				Resume: &RegistrationResume{State: r.state, ExpiresAt: r.expiresAt, Sequence: r.sequence, Site: r.site},
			})
		}
		if err := r.step(ctx); err != nil {
			return r.state, err
		}
	}
}

func (r *registration) pending() bool {
	return r.submits.Len() > 0 || r.resends.Len() > 0 || r.activations.Len() > 0
}

// step waits for the next thing to happen and handles it.
func (r *registration) step(ctx workflow.Context) error {
	timerCtx, cancelTimers := workflow.WithCancel(ctx)
	defer cancelTimers()
	sel := workflow.NewSelector(ctx)
	var handle func(workflow.Context) error
	sel.AddReceive(r.activations, func(c workflow.ReceiveChannel, _ bool) {
		var a Activated
		c.Receive(ctx, &a)
		handle = func(ctx workflow.Context) error { return r.confirm(ctx, "activated by "+a.Method) }
	})
	sel.AddReceive(r.submits, func(c workflow.ReceiveChannel, _ bool) {
		var s Submission
		c.Receive(ctx, &s)
		handle = func(ctx workflow.Context) error { return r.submit(ctx, r.coalesce(s)) }
	})
	sel.AddReceive(r.resends, func(c workflow.ReceiveChannel, _ bool) {
		var rs Resend
		c.Receive(ctx, &rs)
		for c.ReceiveAsync(&rs) { // a burst of resends sends one link
		}
		handle = r.resend
	})
	if r.waiting {
		now := workflow.Now(ctx)
		sel.AddFuture(workflow.NewTimer(timerCtx, r.expiresAt.Sub(now)), func(workflow.Future) { handle = r.expire })
		if end := r.site.EventEnd; end != nil && r.state.Phase == site.PreEvent && end.After(now) {
			sel.AddFuture(workflow.NewTimer(timerCtx, end.Sub(now)), func(workflow.Future) {
				handle = func(ctx workflow.Context) error {
					r.state.Phase = site.PostEvent
					r.note(ctx, "the event ended at %s: later emails use the post-event templates", end.UTC().Format(time.RFC3339))
					return nil
				}
			})
		}
	}
	sel.Select(ctx)
	cancelTimers()
	return handle(ctx)
}

// coalesce merges every submission already waiting into s, in arrival
// order: the newest data wins, and one upsert covers a burst of duplicates.
func (r *registration) coalesce(s Submission) Submission {
	r.state.Submissions++
	var next Submission
	for r.submits.ReceiveAsync(&next) {
		r.state.Submissions++
		s = mergeSubmissions(s, next)
		next = Submission{}
	}
	return s
}

// mergeSubmissions folds b, which arrived after a, into a. A tags-only
// call changes only the tags; otherwise the later data wins, a "register"
// stays a register, and an explicit request for email is kept.
func mergeSubmissions(a, b Submission) Submission {
	if b.Action == domain.ActionTags {
		a.Registrant.Tags = b.Registrant.Tags
		return a
	}
	if b.Registrant.Tags == nil { // no tags in b means "keep them"
		b.Registrant.Tags = a.Registrant.Tags
	}
	if a.Action == domain.ActionRegister {
		b.Action = domain.ActionRegister
	}
	b.SendEmail = mergeSendEmail(a.SendEmail, b.SendEmail)
	return b
}

// mergeSendEmail: any explicit yes wins, then the site default (nil), then no.
func mergeSendEmail(a, b *bool) *bool {
	switch {
	case a != nil && *a:
		return a
	case b != nil && *b:
		return b
	case a == nil || b == nil:
		return nil
	}
	return a
}

func (r *registration) submit(ctx workflow.Context, s Submission) error {
	var res activities.UpsertRegistrantResult
	in := activities.UpsertRegistrantInput{
		SiteID: r.in.SiteID, UserID: r.in.UserID, Action: s.Action, Registrant: s.Registrant,
		ExplicitRole: s.ExplicitRole, ReceivedAt: s.ReceivedAt, Source: s.Source,
	}
	// One short MySQL transaction: a local activity saves the server an
	// activity task and a workflow task per registrant.
	err := workflow.ExecuteLocalActivity(localStoreCtx(ctx), storeActs.UpsertRegistrant, in).Get(ctx, &res)
	if err != nil {
		return r.gone(ctx, err)
	}
	r.site, r.siteRead = res.Site, true
	for _, n := range s.Registrant.Notes {
		r.note(ctx, "%s", n)
	}
	sendEmail := res.Site.SendEmail
	if s.SendEmail != nil {
		sendEmail = *s.SendEmail
	}
	switch {
	case res.Missing:
		r.note(ctx, "%s for a user that does not exist: nothing changed", s.Action)
		r.waiting = false
		r.setStatus(ctx, StatusMissing)
	case res.Status == domain.UserBlocked && workflow.GetVersion(ctx, changeBlockedNoLink, workflow.DefaultVersion, 1) == 1:
		// Re-registering never unblocks, and a blocked user gets no link.
		r.note(ctx, "the user is blocked: data updated (%v), no email", res.Changed)
		r.waiting = false
		r.state.LinkExpiresAt = nil
		r.setStatus(ctx, StatusBlocked)
	case r.waiting:
		r.note(ctx, "registration data updated while waiting (%v)", res.Changed)
	case res.Status == domain.UserActive:
		r.note(ctx, "the user is already active: data updated, no email")
		r.setStatus(ctx, StatusUpdated)
	case s.Action != domain.ActionRegister:
		r.setStatus(ctx, StatusUpdated)
	case !sendEmail:
		// The seed: "If No, skip to webhookConfirmedEmailTemplate". A site
		// with sendEmail off sends the confirmed email to a new user instead
		// of the link, except on magic-link sites, whose no-email flow hands
		// the link to the CRM (the webhook's answer). A submission that
		// itself says no (WP Fusion without send_notification) sends nothing.
		if s.SendEmail == nil && res.Created && res.Site.AuthMethod != site.AuthMagicLink &&
			workflow.GetVersion(ctx, changeSendEmailOffConfirmed, workflow.DefaultVersion, 1) == 1 {
			return r.sendConfirmedOnCreate(ctx)
		}
		r.note(ctx, "sendEmail is off: user created without email")
		r.setStatus(ctx, StatusCreated)
	case res.Site.RequireApproval && workflow.GetVersion(ctx, changeRegistrationApproval, workflow.DefaultVersion, 1) == 1:
		return r.hold(ctx, s, res.Status)
	default:
		return r.sendLink(ctx)
	}
	return nil
}

// hold runs the site's Approval as a child workflow and sends the link
// only once it approves; a rejection blocks the user and sends the site's
// rejection email (if it has one). Signals arriving meanwhile wait in their
// channels and are handled afterwards (a resend of a rejected user is
// ignored: the user is blocked).
func (r *registration) hold(ctx workflow.Context, s Submission, status string) error {
	if status == domain.UserBlocked {
		r.note(ctx, "the user is blocked (rejected before): nothing sent")
		r.setStatus(ctx, StatusRejected)
		return nil
	}
	r.setStatus(ctx, StatusHeld)
	r.note(ctx, "the site requires approval: no email until approved")
	summary := jsonObject("Email", s.Registrant.Email, "First", s.Registrant.FirstName, "Last", s.Registrant.LastName,
		"SiteID", r.in.SiteID, "UserID", r.in.UserID)
	id := ApprovalID(r.in.SiteID, portal.KindSiteRegistration, r.in.UserID)
	child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: id,
		// A user registering again after an approval closed is held again.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			searchattr.Status.ValueSet(domain.ApprovalPending),
			searchattr.Site.ValueSet(r.in.SiteID),
			searchattr.ApprovalKind.ValueSet(string(portal.KindSiteRegistration)),
		),
	})
	// The approval's "event" is the webhook request that registered the
	// user: a registration held again is a new request, not a retry.
	trigger := s.RequestID
	if trigger == "" {
		var err error
		if trigger, err = newEventID(ctx); err != nil {
			return err
		}
	}
	var st ApprovalState
	err := workflow.ExecuteChildWorkflow(child, Approval, ApprovalInput{PortalID: r.in.SiteID, Kind: portal.KindSiteRegistration,
		EntityID: r.in.UserID, EventID: trigger, Message: summary, Policy: *r.site.Approval}).Get(ctx, &st)
	if err != nil {
		return err
	}
	if st.Decision == portal.Approved {
		r.note(ctx, "approved by %s via %s", st.DecidedBy, st.Via)
		return r.sendLink(ctx)
	}
	r.note(ctx, "rejected by %s via %s%s", st.DecidedBy, st.Via, reasonSuffix(st.Reason))
	eventID, err := newEventID(ctx)
	if err != nil {
		return err
	}
	err = workflow.ExecuteActivity(storeCtx(ctx), storeActs.RejectRegistrant, activities.RejectRegistrantInput{
		SiteID: r.in.SiteID, UserID: r.in.UserID, EventID: eventID, At: workflow.Now(ctx)}).Get(ctx, nil)
	if err != nil {
		return r.gone(ctx, err)
	}
	var sent activities.SendRejectionResult
	err = workflow.ExecuteActivity(mailCtx(ctx), mailerActs.SendRejection, activities.SendRejectionInput{
		SiteID: r.in.SiteID, UserID: r.in.UserID, Key: eventID}).Get(ctx, &sent)
	if err != nil {
		return r.gone(ctx, err)
	}
	if sent.Template != "" {
		r.note(ctx, "rejection sent with %s", sent.Template)
	} else {
		r.note(ctx, "the site has no webhookRejectedEmailTemplate: no email")
	}
	r.setStatus(ctx, StatusRejected)
	return nil
}

// userStatus reads the user's status and the site's settings now.
func (r *registration) userStatus(ctx workflow.Context) (string, error) {
	var st activities.RegistrationStatusResult
	err := workflow.ExecuteActivity(storeCtx(ctx), storeActs.RegistrationStatus, activities.RegistrationStatusInput{
		SiteID: r.in.SiteID, UserID: r.in.UserID,
	}).Get(ctx, &st)
	if err != nil {
		return "", err
	}
	r.site, r.siteRead = st.Site, true
	return st.Status, nil
}

func (r *registration) resend(ctx workflow.Context) error {
	if !r.waiting {
		status, err := r.userStatus(ctx)
		if err != nil {
			return r.gone(ctx, err)
		}
		if status != domain.UserPending {
			r.note(ctx, "resend ignored: the user is %s", status)
			return nil
		}
	}
	r.sequence++
	return r.sendLink(ctx)
}

// emailsFor decides which emails carry the link: the site's email type,
// except that a calendar invitation for an event that has ended (or has no
// start) is replaced by the link email.
func (r *registration) emailsFor(ctx workflow.Context, phase site.Phase) []string {
	var emails []string
	switch r.site.EmailType {
	case site.CalendarOnly:
		emails = []string{activities.EmailCalendar}
	case site.EmailAndCalendar:
		emails = []string{activities.EmailLink, activities.EmailCalendar}
	default:
		emails = []string{activities.EmailLink}
	}
	if !slices.Contains(emails, activities.EmailCalendar) {
		return emails
	}
	why := ""
	switch {
	case r.site.EventStart == nil:
		why = "the site has no event start (loginLogFrom)"
	case phase == site.PostEvent:
		why = "the event ended at " + r.site.EventEnd.UTC().Format(time.RFC3339)
	}
	if why == "" {
		return emails
	}
	r.note(ctx, "calendar invitation not sent: %s; sent the link email instead", why)
	return []string{activities.EmailLink}
}

func (r *registration) sendLink(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	phase := site.PhaseAt(r.site.EventEnd, now)
	r.state.Phase = phase
	expiresAt := now.Add(r.site.LinkExpiry)
	in := activities.SendLinkInput{
		SiteID: r.in.SiteID, UserID: r.in.UserID, Phase: phase, Emails: r.emailsFor(ctx, phase),
		ExpiresAt: expiresAt, Sequence: r.sequence,
	}
	// SendLink records RegistrationLinkSent itself: one activity less.
	id, err := newEventID(ctx)
	if err != nil {
		return err
	}
	in.EventID = id
	var res activities.SendLinkResult
	var send workflow.Future
	if workflow.GetVersion(ctx, changeLinkEmailLocal, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		send = workflow.ExecuteActivity(mailCtx(ctx), mailerActs.SendLink, in)
	} else {
		send = workflow.ExecuteLocalActivity(localMailCtx(ctx), mailerActs.SendLink, in)
	}
	if err := send.Get(ctx, &res); err != nil {
		return r.gone(ctx, err)
	}
	r.waiting, r.expiresAt = true, expiresAt
	r.state.LinkExpiresAt = &expiresAt
	r.state.LinksSent++
	r.note(ctx, "sent %v (%v, %s) with a link valid until %s", res.Sent, res.Templates, phase, expiresAt.UTC().Format(time.RFC3339))
	r.setStatus(ctx, StatusWaiting)
	return nil
}

// expire runs when the link's time is up. The activation signal could have
// been lost (the gateway commits first, then signals), so check MySQL.
func (r *registration) expire(ctx workflow.Context) error {
	status, err := r.userStatus(ctx)
	if err != nil {
		return r.gone(ctx, err)
	}
	if status == domain.UserActive {
		return r.confirm(ctx, "found active when the link expired")
	}
	r.waiting = false
	r.state.LinkExpiresAt = nil
	r.note(ctx, "the link expired unused; a resend issues a new one")
	r.setStatus(ctx, StatusExpired)
	return r.recordEvent(ctx, domain.EventRegistrationExpired)
}

func (r *registration) confirm(ctx workflow.Context, how string) error {
	r.waiting = false
	r.state.LinkExpiresAt = nil
	if !r.siteRead { // activated in a run that has not read the site yet
		if _, err := r.userStatus(ctx); err != nil {
			return r.gone(ctx, err)
		}
	}
	phase := site.PhaseAt(r.site.EventEnd, workflow.Now(ctx))
	r.state.Phase = phase
	if r.site.SendEmail {
		var res activities.SendConfirmationResult
		err := workflow.ExecuteActivity(mailCtx(ctx), mailerActs.SendConfirmation, activities.SendConfirmationInput{
			SiteID: r.in.SiteID, UserID: r.in.UserID, Phase: phase,
		}).Get(ctx, &res)
		if err != nil {
			return r.gone(ctx, err)
		}
		r.note(ctx, "%s; confirmation sent with %s (%s)", how, res.Template, phase)
	} else {
		r.note(ctx, "%s; sendEmail is off: no confirmation email", how)
	}
	r.setStatus(ctx, StatusActive)
	return r.recordEvent(ctx, domain.EventRegistrationConfirmed)
}

// sendConfirmedOnCreate sends webhookConfirmedEmailTemplate (pre- or
// post-event) to a user just created on a site with sendEmail off. The
// user stays pending; activating later sends no second confirmation.
func (r *registration) sendConfirmedOnCreate(ctx workflow.Context) error {
	phase := site.PhaseAt(r.site.EventEnd, workflow.Now(ctx))
	r.state.Phase = phase
	var res activities.SendConfirmationResult
	err := workflow.ExecuteActivity(mailCtx(ctx), mailerActs.SendConfirmation, activities.SendConfirmationInput{
		SiteID: r.in.SiteID, UserID: r.in.UserID, Phase: phase,
	}).Get(ctx, &res)
	if err != nil {
		return r.gone(ctx, err)
	}
	r.note(ctx, "sendEmail is off: user created, no link; sent %s (%s)", res.Template, phase)
	r.setStatus(ctx, StatusCreated)
	return nil
}

// gone ends the registration when the site, the user or the address is
// gone for good; other errors fail the workflow.
func (r *registration) gone(ctx workflow.Context, err error) error {
	switch {
	case activities.IsType(err, activities.ErrTypeSiteNotFound), activities.IsType(err, activities.ErrTypeUserNotFound):
		r.note(ctx, "stopped: %v", err)
		r.setStatus(ctx, StatusSiteDeleted)
	case activities.IsType(err, activities.ErrTypeEmailRefused):
		r.note(ctx, "the mail server refused the address: %v", err)
		r.setStatus(ctx, StatusEmailRefused)
	default:
		return err
	}
	r.waiting = false
	r.state.LinkExpiresAt = nil
	return nil
}

// newEventID comes from the workflow, so a retried activity records the
// event once.
func newEventID(ctx workflow.Context) (string, error) {
	now := workflow.Now(ctx) // only the random part needs the side effect
	var id string
	err := workflow.SideEffect(ctx, func(workflow.Context) any {
		return domain.NewEventID(now)
	}).Get(&id)
	return id, err
}

func (r *registration) recordEvent(ctx workflow.Context, eventType string) error {
	id, err := newEventID(ctx)
	if err != nil {
		return err
	}
	err = workflow.ExecuteActivity(storeCtx(ctx), storeActs.RecordUserEvent, activities.RecordUserEventInput{
		EventID: id, SiteID: r.in.SiteID, UserID: r.in.UserID, EventType: eventType, At: workflow.Now(ctx),
	}).Get(ctx, nil)
	if err != nil {
		return r.gone(ctx, err)
	}
	return nil
}

func (r *registration) setStatus(ctx workflow.Context, status string) {
	r.state.Status = status
	// Only fails for unregistered attributes; the status is in the query too.
	_ = workflow.UpsertTypedSearchAttributes(ctx, searchattr.Status.ValueSet(status))
}

func (r *registration) note(ctx workflow.Context, format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	workflow.GetLogger(ctx).Info("registration: "+n, "site", r.in.SiteID, "user", r.in.UserID)
	r.state.Notes = append(r.state.Notes, workflow.Now(ctx).UTC().Format(time.RFC3339)+" "+n)
	if len(r.state.Notes) > 50 {
		r.state.Notes = r.state.Notes[len(r.state.Notes)-50:]
	}
}

// localRetryFor bounds a local activity's retries. Without it the SDK
// stops at the first StartToCloseTimeout; an outage of MySQL or SMTP longer
// than a week needs an operator, and the failed workflow shows it.
const localRetryFor = 7 * 24 * time.Hour

// localStoreCtx: like storeCtx, for short MySQL work run as a local
// activity; the SDK keeps retrying past the workflow task with timers.
func localStoreCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: localRetryFor,
		StartToCloseTimeout:    15 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
}

// localMailCtx: mailCtx for the link email run as a local activity; the
// SDK turns backoffs longer than a workflow task into durable timers.
func localMailCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: localRetryFor,
		StartToCloseTimeout:    time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
}

// mailCtx: SMTP retries back off to 5 minutes and keep going for as long
// as the local activities do; a permanent refusal is non-retryable
// (activities/errors.go).
func mailCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ScheduleToCloseTimeout: localRetryFor,
		StartToCloseTimeout:    time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
}

// jsonObject writes {"k1":"v1",...} from string pairs, keys in the order
// given. encoding/json is off limits in workflow code (workflowcheck: its
// reflection caches), and strings need only JSON's escapes.
func jsonObject(kv ...string) json.RawMessage {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		jsonString(&b, kv[i])
		b.WriteByte(':')
		jsonString(&b, kv[i+1])
	}
	b.WriteByte('}')
	return json.RawMessage(b.String())
}

func jsonString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			b.WriteString("\\u")
			b.WriteByte(hex[r>>12&0xf])
			b.WriteByte(hex[r>>8&0xf])
			b.WriteByte(hex[r>>4&0xf])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
