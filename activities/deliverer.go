package activities

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"gatehouse/internal/domain"
	gmail "gatehouse/internal/mail"
	"gatehouse/internal/notify"
	"gatehouse/internal/outbound"
	"gatehouse/internal/portal"
	"gatehouse/internal/store"
)

// ResponseBodyLimit is how much of a receiver's answer is kept per attempt.
const ResponseBodyLimit = 16 << 10

// Operational events Gatehouse emits about its own targets.
const (
	EventTargetDisabled   = "TargetDisabled"
	ObjectTypeTarget      = "gatehouse.Target"
	operationalEventSouce = "deliveries"
)

// Deliverer makes delivery attempts: HTTP callbacks and notification
// emails. It holds the clients; everything it sends is rendered from MySQL.
type Deliverer struct {
	DB            *store.Store
	HTTP          *http.Client
	Outbound      outbound.Options // for clients with a template's client certificate
	Mail          *gmail.Sender
	DefaultSecret string        // GATEHOUSE_SIGNING_SECRET: Kaltura signing key when a template has none
	DisableAfter  time.Duration // GATEHOUSE_DISABLE_AFTER
	Log           *slog.Logger
	PublicURL     string // GATEHOUSE_PUBLIC_URL: base of a channel approver's decision links

	// sent keeps the outcome of a request whose record failed, by
	// "deliveryID/attempt", for the retry in this process: a local activity
	// has no heartbeat details to carry it (see lostSend).
	sent sync.Map
}

// AttemptInput names the attempt. NextWait is the scheduled wait before
// the next one (0: this is the last).
type AttemptInput struct {
	DeliveryID string
	Attempt    int
	NextWait   time.Duration
}

// AttemptResult is the outcome; Wait is the wait before the next attempt
// after Retry-After (0 when there is none).
type AttemptResult struct {
	Outcome    notify.Outcome
	HTTPStatus int
	Error      string
	Wait       time.Duration
}

// Attempt makes attempt number in.Attempt at most once and records it.
// Failures of the far side are outcomes, not errors; an error means MySQL
// or the worker failed and is retried. A retry never sends the attempt
// again: it answers from the attempt's row (see ClaimAttempt), so a failed
// record or bookkeeping step cannot repeat a callback or an email.
func (a *Deliverer) Attempt(ctx context.Context, in AttemptInput) (AttemptResult, error) {
	res, err := a.attempt(ctx, in)
	return res, classify(err, "")
}

// outcomeUnknown is stored for an attempt whose request may have left
// while the worker stopped; the workflow treats it as a retry.
const outcomeUnknown = "unknown"

// lostRequest explains an unknown outcome.
const lostRequest = "the worker stopped during the request; it was not sent again (attempt numbers are sent at most once)"

func (a *Deliverer) attempt(ctx context.Context, in AttemptInput) (AttemptResult, error) {
	d, err := a.DB.GetDelivery(ctx, in.DeliveryID)
	if err != nil {
		return AttemptResult{}, classify(err, "DeliveryNotFound")
	}
	// A claim raises the delivery's attempt count in the transaction that
	// stores the attempt's row, so a count below in.Attempt means there is
	// no row to answer from: the usual first run skips reading it. A run
	// that claims it meanwhile meets ClaimAttempt's duplicate key, as it
	// would after the read.
	if d.Attempts >= in.Attempt {
		if res, done, err := a.existing(ctx, d, in); done || err != nil {
			return res, err
		}
	}
	if d.TargetKind == domain.TargetPortal {
		return a.portalAttempt(ctx, d, in)
	}
	se, err := a.DB.GetEvent(ctx, d.EventID)
	if err != nil {
		return AttemptResult{}, classify(err, "EventNotFound")
	}
	ev := notify.EventFrom(se)
	switch d.TargetKind {
	case domain.TargetChannel:
		c, sec, err := a.DB.GetChannel(ctx, d.TargetID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && c.Status != notify.ChannelActive && !d.Manual) {
			return a.stop(ctx, d, in, "the channel was deleted or disabled")
		}
		if err != nil {
			return AttemptResult{}, err
		}
		if err := a.approvalLinks(ctx, d, ev); err != nil {
			return AttemptResult{}, err
		}
		d.TargetSteady = c.FailingSince == nil
		req, err := notify.BuildChannelRequest(&c, sec, ev, d.ID, time.Now())
		if err != nil {
			return a.once(ctx, d, in, notify.Request{Method: c.Method, URL: c.TargetURL}, failed(err.Error()))
		}
		return a.once(ctx, d, in, req, func(ctx context.Context) sendResult { return a.sendWith(ctx, a.HTTP, req) })
	case domain.TargetTemplate:
		id, _ := strconv.ParseInt(d.TargetID, 10, 64)
		t, sec, err := a.DB.GetNotificationTemplate(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && t.Status != notify.StatusActive && !d.Manual) {
			return a.stop(ctx, d, in, "the template was deleted or disabled")
		}
		if err != nil {
			return AttemptResult{}, err
		}
		d.TargetSteady = t.FailingSince == nil
		if t.Type == notify.TypeEmail {
			return a.email(ctx, d, in, &t, ev)
		}
		req, err := notify.BuildTemplateRequest(notify.TemplateRequestInput{Template: &t, Secrets: sec, Event: ev,
			JobID: d.JobID, DeliveryID: d.ID, DefaultSecret: a.DefaultSecret, Now: time.Now()})
		if err != nil {
			return a.once(ctx, d, in, notify.Request{Method: "POST", URL: d.URL}, failed("render: "+err.Error()))
		}
		client, err := a.clientFor(&t, sec)
		if err != nil {
			return a.once(ctx, d, in, req, failed("render: "+err.Error()))
		}
		return a.once(ctx, d, in, req, func(ctx context.Context) sendResult { return a.sendWith(ctx, client, req) })
	}
	return AttemptResult{}, nonRetryable(fmt.Errorf("unknown target kind %q", d.TargetKind), "BadDelivery")
}

// approvalLinks adds the decision links to a request for a channel
// approver (an approval event whose approver is this channel). Each attempt
// mints its own pair, stored hashed: the raw tokens exist only in the
// signed request (attempts record its size and SHA-256, not the body).
func (a *Deliverer) approvalLinks(ctx context.Context, d store.Delivery, ev *notify.Event) error {
	if ev.EventObjectType != domain.ObjectTypeApproval {
		return nil
	}
	approver, _ := ev.Object["approver"].(string)
	if approver == "" || approver != portal.ChannelApprover(d.TargetID) {
		return nil
	}
	approvalID, _ := ev.Object["approvalId"].(string)
	var expires *time.Time
	if s, ok := ev.Object["expiresAt"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			expires = &t
		}
	}
	links, exp, err := IssueApprovalLinks(ctx, a.DB, a.PublicURL, approvalID, approver, expires)
	if err != nil {
		return err
	}
	ev.Object["links"] = portal.ApprovalLinksObject{Approve: links[portal.Approved], Reject: links[portal.Rejected], ExpiresAt: exp}
	return nil
}

// sendResult is what one request or email fan-out came to. Its fields are
// exported because it travels in heartbeat details.
type sendResult struct {
	Outcome    notify.Outcome
	Status     int
	Body       string
	Err        string
	Latency    time.Duration
	RetryAfter time.Duration
	Unknown    bool // the request may have left; stored as outcomeUnknown
}

// failed is a send that never happens: the request could not be built.
func failed(reason string) func(context.Context) sendResult {
	return func(context.Context) sendResult { return sendResult{Outcome: notify.Failed, Err: reason} }
}

// attemptProgress is the heartbeat detail of an attempt: the outcome as
// soon as the request is answered (so a retry after a failed record can
// store it instead of "unknown"), or the progress of an email fan-out.
type attemptProgress struct {
	Attempt    int
	Sent       *sendResult `json:",omitempty"`
	Recipients int         `json:",omitempty"`
	Done       int         `json:",omitempty"`
}

// existing answers from attempt in.Attempt's row when it has one: a
// finished row gives its result (the bookkeeping after it is re-run, it is
// idempotent); a row still "sending" means a run stopped during the request,
// which is recorded as an unknown outcome and not sent again. done is false
// when there is no row, or the row is an email fan-out to resume (its
// recipients are claimed one by one).
func (a *Deliverer) existing(ctx context.Context, d store.Delivery, in AttemptInput) (res AttemptResult, done bool, err error) {
	row, err := a.DB.GetAttempt(ctx, d.ID, in.Attempt)
	if errors.Is(err, store.ErrNotFound) {
		return AttemptResult{}, false, nil
	}
	if err != nil {
		return AttemptResult{}, true, err
	}
	if row.Outcome == store.AttemptSending {
		if row.Method == methodSMTP {
			return AttemptResult{}, false, nil
		}
		res, err := a.finish(ctx, d, in, row, a.lostSend(ctx, in))
		if err == nil {
			a.sent.Delete(sentKey(in))
		}
		return res, true, err
	}
	res = AttemptResult{Outcome: notify.Outcome(row.Outcome)}
	if row.Outcome == outcomeUnknown {
		res.Outcome = notify.Retry
	}
	if row.ResponseStatus != nil {
		res.HTTPStatus = *row.ResponseStatus
	}
	if row.Error != nil {
		res.Error = *row.Error
	}
	if res.Outcome == notify.Retry {
		res.Wait = in.NextWait // rows from before wait_ms existed
		if row.WaitMS != nil {
			res.Wait = time.Duration(*row.WaitMS) * time.Millisecond
		}
	}
	return res, true, a.streak(ctx, d, sendResult{Outcome: res.Outcome, Err: res.Error, Unknown: row.Outcome == outcomeUnknown})
}

// lostSend is the outcome of a request whose run stopped before recording
// it: the one a run in this process kept (a local activity's retry, or the
// activity that continues it), the one the run reported in its last
// heartbeat, or unknown.
func (a *Deliverer) lostSend(ctx context.Context, in AttemptInput) sendResult {
	if r, ok := a.sent.Load(sentKey(in)); ok {
		return r.(sendResult)
	}
	var p attemptProgress
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) && activity.GetHeartbeatDetails(ctx, &p) == nil &&
		p.Attempt == in.Attempt && p.Sent != nil {
		return *p.Sent
	}
	return sendResult{Outcome: notify.Retry, Err: lostRequest, Unknown: true}
}

// once claims the attempt, makes the request and records its outcome. The
// claim is committed before anything leaves, so whatever fails afterwards,
// this attempt number is never sent again.
func (a *Deliverer) once(ctx context.Context, d store.Delivery, in AttemptInput, req notify.Request, send func(context.Context) sendResult) (AttemptResult, error) {
	att := attemptRow(d, in, req)
	claimed, err := a.DB.ClaimAttempt(ctx, att)
	if err != nil {
		return AttemptResult{}, err
	}
	if !claimed { // another run of this activity claimed it meanwhile
		return a.fromRow(ctx, d, in)
	}
	hb := startHeartbeat(ctx, attemptProgress{Attempt: in.Attempt})
	r := send(ctx)
	hb.set(attemptProgress{Attempt: in.Attempt, Sent: &r})
	hb.stop()
	a.sent.Store(sentKey(in), r)
	res, err := a.finish(ctx, d, in, att, r)
	if err == nil {
		a.sent.Delete(sentKey(in))
	}
	return res, err
}

func sentKey(in AttemptInput) string { return in.DeliveryID + "/" + strconv.Itoa(in.Attempt) }

func (a *Deliverer) fromRow(ctx context.Context, d store.Delivery, in AttemptInput) (AttemptResult, error) {
	res, done, err := a.existing(ctx, d, in)
	if err == nil && !done {
		err = fmt.Errorf("attempt %d of %s: claimed, but its row is missing", in.Attempt, d.ID)
	}
	return res, err
}

func attemptRow(d store.Delivery, in AttemptInput, req notify.Request) store.Attempt {
	sum := sha256.Sum256(req.Body)
	return store.Attempt{DeliveryID: d.ID, Attempt: in.Attempt, StartedAt: time.Now(), URL: req.URL, Method: req.Method,
		RequestHeaders: notify.MaskHeaders(req.Header), BodySize: len(req.Body), BodySHA256: hex.EncodeToString(sum[:]),
		Outcome: store.AttemptSending}
}

// clientFor returns the shared client, or one that offers the template's
// client certificate (sslCertificate + sslKey, PEM) for mutual TLS.
func (a *Deliverer) clientFor(t *notify.NotificationTemplate, sec notify.Secrets) (*http.Client, error) {
	if t.SSLCertificate == "" {
		return a.HTTP, nil
	}
	cert, err := notify.ClientCertificate(t, sec)
	if err != nil {
		return nil, err
	}
	o := a.Outbound
	o.Certificates = []tls.Certificate{cert}
	o.MaxIdleConnsPerHost = 2
	return outbound.NewClient(o), nil
}

func (a *Deliverer) sendWith(ctx context.Context, client *http.Client, req notify.Request) sendResult {
	rctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(rctx, req.Method, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return sendResult{Outcome: notify.Failed, Err: err.Error()}
	}
	hr.Header = req.Header.Clone()
	if req.Body == nil {
		hr.Body, hr.ContentLength = nil, 0
	}
	start := time.Now()
	resp, err := client.Do(hr)
	latency := time.Since(start)
	if err != nil {
		if errors.Is(err, outbound.ErrForbiddenAddress) {
			return sendResult{Outcome: notify.Failed, Err: err.Error(), Latency: latency}
		}
		msg := err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			msg = fmt.Sprintf("timed out after %s", req.Timeout)
		}
		return sendResult{Outcome: notify.Retry, Err: msg, Latency: latency}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, ResponseBodyLimit))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) //nolint:errcheck // lets the connection be reused
	// Receivers answer anything: keep valid UTF-8, cut on a rune boundary.
	r := sendResult{Outcome: notify.Classify(resp.StatusCode), Status: resp.StatusCode,
		Body: store.ClampBytes(string(body), ResponseBodyLimit), Latency: latency}
	if r.Outcome == notify.Retry {
		r.RetryAfter = notify.RetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return r
}

// finish records a claimed attempt's outcome and the delivery's new state,
// then keeps the target's failure streak.
func (a *Deliverer) finish(ctx context.Context, d store.Delivery, in AttemptInput, att store.Attempt, r sendResult) (AttemptResult, error) {
	r.Err = store.ClampBytes(r.Err, store.ErrorTextSize) // as stored; it also goes into the workflow's history
	att.LatencyMS, att.Outcome = int(r.Latency.Milliseconds()), string(r.Outcome)
	if r.Unknown {
		att.Outcome = outcomeUnknown
	}
	att.ResponseStatus, att.ResponseBody, att.Error = nil, nil, nil
	if r.Status != 0 {
		att.ResponseStatus = &r.Status
		att.ResponseBody = &r.Body
	}
	if r.Err != "" {
		att.Error = &r.Err
	}
	res := AttemptResult{Outcome: r.Outcome, HTTPStatus: r.Status, Error: r.Err}
	u := store.DeliveryUpdate{LastError: r.Err}
	if r.Status != 0 {
		u.LastStatus = &r.Status
	}
	switch r.Outcome {
	case notify.Delivered:
		u.Status = domain.DeliveryDelivered
	case notify.Gone:
		u.Status = domain.DeliveryTargetGone
	case notify.Failed:
		u.Status = domain.DeliveryFailed
	case notify.Retry:
		if in.NextWait == 0 {
			u.Status = domain.DeliveryFailed
			u.LastError = strings.TrimSpace(r.Err + " (no retries left)")
		} else {
			res.Wait = max(in.NextWait, r.RetryAfter)
			next := time.Now().Add(res.Wait)
			u.Status, u.NextAttemptAt = domain.DeliveryRetrying, &next
		}
		ms := res.Wait.Milliseconds()
		att.WaitMS = &ms
	}
	var disable *store.TargetDisable
	if r.Outcome == notify.Gone {
		td := a.targetDisable(d, goneReason)
		disable = &td
	}
	finished, err := a.DB.FinishAttempt(ctx, att, u, disable)
	if err != nil {
		return AttemptResult{}, err
	}
	if !finished { // another run recorded it first; its record stands
		return a.fromRow(ctx, d, in)
	}
	if disable != nil {
		a.Log.Warn("delivery target disabled (unless it already was)", "target_kind", d.TargetKind, "target_id", d.TargetID, "reason", goneReason)
	}
	return res, a.streak(ctx, d, r)
}

// streak disables a target on 410, or when it has failed for longer than
// DisableAfter, and emits an operational event saying so. It is idempotent:
// a retried activity runs it again after the attempt's record.
func (a *Deliverer) streak(ctx context.Context, d store.Delivery, r sendResult) error {
	if d.TargetKind == domain.TargetPortal {
		return nil // a portal is not disabled: its approvals need their callbacks
	}
	switch r.Outcome {
	case notify.Delivered:
		if d.TargetSteady {
			return nil // read at this attempt's start: no streak to end, and one statement less per delivery
		}
		return a.DB.TargetSucceeded(ctx, d.TargetKind, d.TargetID)
	case notify.Gone:
		return a.disable(ctx, d, goneReason) // done with the record; again here for rows from before
	}
	if r.Unknown || strings.HasPrefix(r.Err, "render:") {
		return nil // our template is wrong, or we do not know: the receiver is not failing
	}
	since, err := a.DB.TargetFailed(ctx, d.TargetKind, d.TargetID, time.Now())
	if err != nil || a.DisableAfter <= 0 || time.Since(since) < a.DisableAfter {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	return a.disable(ctx, d, fmt.Sprintf("failing continuously since %s (GATEHOUSE_DISABLE_AFTER=%s)", since.UTC().Format(time.RFC3339), a.DisableAfter))
}

const goneReason = "the receiver answered 410 Gone"

// disable turns the target off and records TargetDisabled in one
// transaction, so a retry after a failure cannot find the target disabled
// without its event.
func (a *Deliverer) disable(ctx context.Context, d store.Delivery, reason string) error {
	changed, err := a.DB.DisableTarget(ctx, a.targetDisable(d, reason))
	if err == nil && changed {
		a.Log.Warn("delivery target disabled", "target_kind", d.TargetKind, "target_id", d.TargetID, "reason", reason)
	}
	return err
}

func (a *Deliverer) targetDisable(d store.Delivery, reason string) store.TargetDisable {
	obj, _ := json.Marshal(map[string]any{"id": d.TargetKind + ":" + d.TargetID, "targetKind": d.TargetKind,
		"targetId": d.TargetID, "url": d.URL, "reason": reason, "deliveryId": d.ID})
	// The id is derived from the delivery, so a retried activity emits once.
	id := "op_" + hex.EncodeToString(func() []byte { s := sha256.Sum256([]byte("disable/" + d.ID)); return s[:12] }())
	return store.TargetDisable{Kind: d.TargetKind, ID: d.TargetID, Reason: reason, Event: domain.Event{ID: id,
		EventType: EventTargetDisabled, EventObjectType: ObjectTypeTarget, ObjectID: d.TargetKind + ":" + d.TargetID,
		Object: obj, Source: operationalEventSouce, OccurredAt: time.Now().UTC()}}
}

// stop ends a delivery whose target is gone without an attempt.
func (a *Deliverer) stop(ctx context.Context, d store.Delivery, in AttemptInput, reason string) (AttemptResult, error) {
	err := a.DB.SetDeliveryStatus(ctx, d.ID, store.DeliveryUpdate{Status: domain.DeliveryTargetGone, LastError: reason})
	return AttemptResult{Outcome: notify.Gone, Error: reason}, err
}

// methodSMTP is the method of an email attempt's row.
const methodSMTP = "SMTP"

// lostRecipient explains a recipient left "sending" by a run that stopped.
const lostRecipient = "the worker stopped during the SMTP transaction; not sent again (it may have been delivered)"

// email sends a notification email to every recipient not yet handled:
// one SMTP transaction per recipient, so each has its own status. Each
// recipient is claimed ("sending") before its transaction and a retry never
// mails a claimed one again; progress goes out in heartbeats, so a dead
// worker is noticed in seconds and the retry resumes where it stopped.
func (a *Deliverer) email(ctx context.Context, d store.Delivery, in AttemptInput, t *notify.NotificationTemplate, ev *notify.Event) (AttemptResult, error) {
	// Heartbeat from the start: resolving a group of 10,000 takes a while.
	hb := startHeartbeat(ctx, attemptProgress{Attempt: in.Attempt})
	defer hb.stop()
	smtpReq := notify.Request{Method: methodSMTP, URL: "smtp:"}
	builtin, err := a.builtinValues(ctx, t, ev)
	if err != nil {
		return AttemptResult{}, err
	}
	content, err := notify.BuildEmailWith(t, ev, builtin)
	if err != nil {
		return a.once(ctx, d, in, smtpReq, failed("render: "+err.Error()))
	}
	specs, err := t.RecipientSpecs(ev)
	if err != nil {
		return a.once(ctx, d, in, smtpReq, failed("render: "+err.Error()))
	}
	resolved, err := a.resolve(ctx, specs, ev)
	if err != nil {
		return AttemptResult{}, err
	}
	if err := a.DB.AddRecipients(ctx, d.ID, resolved); err != nil {
		return AttemptResult{}, err
	}
	smtpReq.Body = []byte(content.Subject + "\n" + content.HTML + content.Text)
	att := attemptRow(d, in, smtpReq)
	if _, err := a.DB.ClaimAttempt(ctx, att); err != nil { // false: a retry resuming this attempt
		return AttemptResult{}, err
	}
	rs, err := a.DB.Recipients(ctx, d.ID)
	if err != nil {
		return AttemptResult{}, err
	}
	from := ""
	if content.FromEmail != "" {
		from = (&mail.Address{Name: content.FromName, Address: content.FromEmail}).String()
	}
	start := time.Now()
	var processed, deferred, dropped, unknown int
	var lastErr string
	for i, r := range rs {
		hb.set(attemptProgress{Attempt: in.Attempt, Recipients: len(rs), Done: i})
		switch r.Status {
		case domain.RecipientProcessed:
			processed++
			continue
		case domain.RecipientDropped:
			dropped++
			continue
		case domain.RecipientUnknown:
			unknown++
			continue
		case domain.RecipientSending:
			msg := lostRecipient
			r.Status, r.SMTPCode, r.Message = domain.RecipientUnknown, nil, &msg
			if err := a.DB.SetRecipient(ctx, d.ID, r); err != nil {
				return AttemptResult{}, err
			}
			unknown++
			continue
		}
		claimed, err := a.DB.ClaimRecipient(ctx, d.ID, r.Kind, r.Email)
		if err != nil {
			return AttemptResult{}, err
		}
		if !claimed { // another run of this attempt has it
			unknown++
			continue
		}
		msg := gmail.Message{MessageID: fmt.Sprintf("%s.%s.%s@gatehouse", strings.ReplaceAll(d.ID, ":", "."), r.Kind, r.Email),
			From: from, Subject: content.Subject, HTML: content.HTML, Text: content.Text,
			Headers: map[string]string{"X-Gatehouse-Delivery": d.ID}}
		addr := (&mail.Address{Name: r.Name, Address: r.Email}).String()
		switch r.Kind {
		case "cc":
			msg.Cc = []string{addr}
		case "bcc":
			msg.Bcc = []string{addr}
		default:
			msg.To = []string{addr}
		}
		err = a.Mail.Send(ctx, msg)
		r.Status, r.SMTPCode, r.Message = domain.RecipientProcessed, nil, nil
		if err != nil {
			var f *gmail.Failure
			text := err.Error()
			r.Message = &text
			lastErr = text
			r.Status = domain.RecipientDeferred
			if errors.As(err, &f) {
				if f.Code != 0 {
					code := f.Code
					r.SMTPCode = &code
				}
				if f.Permanent {
					r.Status = domain.RecipientDropped
				}
			}
		}
		switch r.Status {
		case domain.RecipientProcessed:
			processed++
		case domain.RecipientDropped:
			dropped++
		default:
			deferred++
		}
		if err := a.DB.SetRecipient(ctx, d.ID, r); err != nil {
			return AttemptResult{}, err
		}
	}
	hb.set(attemptProgress{Attempt: in.Attempt, Recipients: len(rs), Done: len(rs)})
	res := sendResult{Latency: time.Since(start), Err: lastErr}
	switch {
	case deferred > 0:
		res.Outcome = notify.Retry
	case processed+unknown > 0:
		res.Outcome, res.Err = notify.Delivered, ""
	default:
		res.Outcome = notify.Failed
		if len(rs) == 0 {
			res.Err = "no recipients resolved"
		}
	}
	att.URL = fmt.Sprintf("smtp:%d recipients (%d processed, %d deferred, %d dropped)", len(rs), processed, deferred, dropped)
	if unknown > 0 {
		att.URL = fmt.Sprintf("smtp:%d recipients (%d processed, %d deferred, %d dropped, %d unknown)", len(rs), processed, deferred, dropped, unknown)
	}
	return a.finish(ctx, d, in, att, res)
}

// resolve turns recipient specs into addresses. Unknown users, groups and
// categories resolve to nobody; an invalid address is recorded as dropped.
func (a *Deliverer) resolve(ctx context.Context, specs []notify.RecipientSpec, ev *notify.Event) ([]store.Recipient, error) {
	var out []store.Recipient
	seen := map[string]bool{}
	add := func(kind, email, name string) {
		email = strings.TrimSpace(email)
		key := kind + "/" + strings.ToLower(email)
		if email == "" || seen[key] {
			return
		}
		seen[key] = true
		r := store.Recipient{Kind: kind, Email: email, Name: name, Status: domain.RecipientQueued}
		if _, err := mail.ParseAddress(email); err != nil || len(email) > 254 {
			msg := "invalid address"
			r.Status, r.Message = domain.RecipientDropped, &msg
		}
		out = append(out, r)
	}
	for _, s := range specs {
		switch {
		case s.Email != "":
			add(s.Kind, s.Email, s.Name)
		case s.UserID != "":
			c, err := a.DB.UserContact(ctx, s.UserID, ev.SiteID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			} else if err != nil {
				return nil, err
			}
			add(s.Kind, c.Email, strings.TrimSpace(c.FirstName+" "+c.LastName))
		case s.GroupID != "" || s.CategoryID != "":
			group := s.GroupID
			if s.CategoryID != "" {
				g, err := a.DB.CategoryGroup(ctx, s.CategoryID)
				if errors.Is(err, store.ErrNotFound) {
					continue
				} else if err != nil {
					return nil, err
				}
				group = g
			}
			cs, err := a.DB.GroupContacts(ctx, group, ev.SiteID)
			if err != nil {
				return nil, err
			}
			for _, c := range cs {
				add(s.Kind, c.Email, strings.TrimSpace(c.FirstName+" "+c.LastName))
			}
		}
	}
	return out, nil
}

// MarkDeliveryInput sets a final status decided by the workflow.
type MarkDeliveryInput struct {
	DeliveryID string
	Status     string
	Reason     string
}

// MarkDelivery records a status without an attempt.
func (a *Deliverer) MarkDelivery(ctx context.Context, in MarkDeliveryInput) error {
	return a.DB.SetDeliveryStatus(ctx, in.DeliveryID, store.DeliveryUpdate{Status: in.Status, LastError: in.Reason})
}

// ObjectReadyInput names the delivery whose object is awaited.
type ObjectReadyInput struct {
	DeliveryID string
	EventID    string
}

// ObjectReadyResult says whether the object's latest snapshot is READY.
type ObjectReadyResult struct{ Ready bool }

// ObjectReady checks the latest snapshot of the event's object for status
// 2 (Kaltura's READY) and marks the delivery waiting otherwise.
func (a *Deliverer) ObjectReady(ctx context.Context, in ObjectReadyInput) (ObjectReadyResult, error) {
	se, err := a.DB.GetEvent(ctx, in.EventID)
	if err != nil {
		return ObjectReadyResult{}, classify(err, "EventNotFound")
	}
	obj := se.Object
	if snap, err := a.DB.Snapshot(ctx, se.EventObjectType, se.ObjectID); err == nil {
		obj = snap
	} else if !errors.Is(err, store.ErrNotFound) {
		return ObjectReadyResult{}, err
	}
	m := notify.DecodeObject(obj)
	ready := fmt.Sprint(m["status"]) == "2"
	if !ready {
		if err := a.DB.SetDeliveryStatus(ctx, in.DeliveryID, store.DeliveryUpdate{Status: domain.DeliveryWaiting,
			LastError: "waiting for the object to become READY (status 2)"}); err != nil {
			return ObjectReadyResult{}, err
		}
	}
	return ObjectReadyResult{Ready: ready}, nil
}
