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
	"time"

	"gatehouse/internal/domain"
	gmail "gatehouse/internal/mail"
	"gatehouse/internal/notify"
	"gatehouse/internal/outbound"
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

// Attempt makes one attempt and records it. Failures of the far side are
// outcomes, not errors; an error means MySQL failed and is retried.
func (a *Deliverer) Attempt(ctx context.Context, in AttemptInput) (AttemptResult, error) {
	d, err := a.DB.GetDelivery(ctx, in.DeliveryID)
	if err != nil {
		return AttemptResult{}, classify(err, "DeliveryNotFound")
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
		req, err := notify.BuildChannelRequest(&c, sec, ev, d.ID, time.Now())
		if err != nil {
			return a.record(ctx, d, in, notify.Request{Method: c.Method, URL: c.TargetURL}, sendResult{outcome: notify.Failed, err: err.Error()})
		}
		return a.record(ctx, d, in, req, a.send(ctx, req))
	case domain.TargetTemplate:
		id, _ := strconv.ParseInt(d.TargetID, 10, 64)
		t, sec, err := a.DB.GetNotificationTemplate(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && t.Status != notify.StatusActive && !d.Manual) {
			return a.stop(ctx, d, in, "the template was deleted or disabled")
		}
		if err != nil {
			return AttemptResult{}, err
		}
		if t.Type == notify.TypeEmail {
			return a.email(ctx, d, in, &t, ev)
		}
		req, err := notify.BuildTemplateRequest(notify.TemplateRequestInput{Template: &t, Secrets: sec, Event: ev,
			JobID: d.JobID, DeliveryID: d.ID, DefaultSecret: a.DefaultSecret, Now: time.Now()})
		if err != nil {
			return a.record(ctx, d, in, notify.Request{Method: "POST", URL: d.URL}, sendResult{outcome: notify.Failed, err: "render: " + err.Error()})
		}
		client, err := a.clientFor(&t, sec)
		if err != nil {
			return a.record(ctx, d, in, req, sendResult{outcome: notify.Failed, err: "render: " + err.Error()})
		}
		return a.record(ctx, d, in, req, a.sendWith(ctx, client, req))
	}
	return AttemptResult{}, nonRetryable(fmt.Errorf("unknown target kind %q", d.TargetKind), "BadDelivery")
}

type sendResult struct {
	outcome    notify.Outcome
	status     int
	body       string
	err        string
	latency    time.Duration
	retryAfter time.Duration
}

// clientFor returns the shared client, or one that offers the template's
// client certificate (sslCertificate + sslKey, PEM) for mutual TLS.
func (a *Deliverer) clientFor(t *notify.Template, sec notify.Secrets) (*http.Client, error) {
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

func (a *Deliverer) send(ctx context.Context, req notify.Request) sendResult {
	return a.sendWith(ctx, a.HTTP, req)
}

func (a *Deliverer) sendWith(ctx context.Context, client *http.Client, req notify.Request) sendResult {
	rctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(rctx, req.Method, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return sendResult{outcome: notify.Failed, err: err.Error()}
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
			return sendResult{outcome: notify.Failed, err: err.Error(), latency: latency}
		}
		msg := err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			msg = fmt.Sprintf("timed out after %s", req.Timeout)
		}
		return sendResult{outcome: notify.Retry, err: msg, latency: latency}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, ResponseBodyLimit))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) //nolint:errcheck // lets the connection be reused
	r := sendResult{outcome: notify.Classify(resp.StatusCode), status: resp.StatusCode, body: string(body), latency: latency}
	if r.outcome == notify.Retry {
		r.retryAfter = notify.RetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return r
}

// record stores the attempt and the delivery's new state, and keeps the
// target's failure streak.
func (a *Deliverer) record(ctx context.Context, d store.Delivery, in AttemptInput, req notify.Request, r sendResult) (AttemptResult, error) {
	sum := sha256.Sum256(req.Body)
	att := store.Attempt{DeliveryID: d.ID, Attempt: in.Attempt, StartedAt: time.Now().Add(-r.latency), URL: req.URL,
		Method: req.Method, RequestHeaders: notify.MaskHeaders(req.Header), BodySize: len(req.Body),
		BodySHA256: hex.EncodeToString(sum[:]), LatencyMS: int(r.latency.Milliseconds()), Outcome: string(r.outcome)}
	if r.status != 0 {
		att.ResponseStatus = &r.status
		att.ResponseBody = &r.body
	}
	if r.err != "" {
		att.Error = &r.err
	}
	res := AttemptResult{Outcome: r.outcome, HTTPStatus: r.status, Error: r.err}
	u := store.DeliveryUpdate{LastError: r.err}
	if r.status != 0 {
		u.LastStatus = &r.status
	}
	switch r.outcome {
	case notify.Delivered:
		u.Status = domain.DeliveryDelivered
	case notify.Gone:
		u.Status = domain.DeliveryTargetGone
	case notify.Failed:
		u.Status = domain.DeliveryFailed
	case notify.Retry:
		if in.NextWait == 0 {
			u.Status = domain.DeliveryFailed
			u.LastError = strings.TrimSpace(r.err + " (no retries left)")
		} else {
			res.Wait = max(in.NextWait, r.retryAfter)
			next := time.Now().Add(res.Wait)
			u.Status, u.NextAttemptAt = domain.DeliveryRetrying, &next
		}
	}
	if err := a.DB.RecordAttempt(ctx, att, u); err != nil {
		return AttemptResult{}, err
	}
	return res, a.streak(ctx, d, r)
}

// streak disables a target on 410, or when it has failed for longer than
// DisableAfter, and emits an operational event saying so.
func (a *Deliverer) streak(ctx context.Context, d store.Delivery, r sendResult) error {
	switch r.outcome {
	case notify.Delivered:
		return a.DB.TargetSucceeded(ctx, d.TargetKind, d.TargetID)
	case notify.Gone:
		return a.disable(ctx, d, "the receiver answered 410 Gone")
	}
	if r.err != "" && strings.HasPrefix(r.err, "render:") {
		return nil // our template is wrong, the receiver is not failing
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

func (a *Deliverer) disable(ctx context.Context, d store.Delivery, reason string) error {
	changed, err := a.DB.DisableTarget(ctx, d.TargetKind, d.TargetID, reason)
	if err != nil || !changed {
		return err
	}
	a.Log.Warn("delivery target disabled", "target_kind", d.TargetKind, "target_id", d.TargetID, "reason", reason)
	obj, _ := json.Marshal(map[string]any{"id": d.TargetKind + ":" + d.TargetID, "targetKind": d.TargetKind,
		"targetId": d.TargetID, "url": d.URL, "reason": reason, "deliveryId": d.ID})
	// The id is derived from the delivery, so a retried activity emits once.
	id := "op_" + hex.EncodeToString(func() []byte { s := sha256.Sum256([]byte("disable/" + d.ID)); return s[:12] }())
	return a.DB.RecordEvent(ctx, domain.Event{ID: id, EventType: EventTargetDisabled, EventObjectType: ObjectTypeTarget,
		ObjectID: d.TargetKind + ":" + d.TargetID, Object: obj, Source: operationalEventSouce, OccurredAt: time.Now().UTC()})
}

// stop ends a delivery whose target is gone without an attempt.
func (a *Deliverer) stop(ctx context.Context, d store.Delivery, in AttemptInput, reason string) (AttemptResult, error) {
	err := a.DB.SetDeliveryStatus(ctx, d.ID, store.DeliveryUpdate{Status: domain.DeliveryTargetGone, LastError: reason})
	return AttemptResult{Outcome: notify.Gone, Error: reason}, err
}

// email sends a notification email to every recipient not yet handled:
// one SMTP transaction per recipient, so each has its own status.
func (a *Deliverer) email(ctx context.Context, d store.Delivery, in AttemptInput, t *notify.Template, ev *notify.Event) (AttemptResult, error) {
	content, err := notify.BuildEmail(t, ev)
	if err != nil {
		return a.record(ctx, d, in, notify.Request{Method: "SMTP", URL: "smtp:"}, sendResult{outcome: notify.Failed, err: "render: " + err.Error()})
	}
	specs, err := t.RecipientSpecs(ev)
	if err != nil {
		return a.record(ctx, d, in, notify.Request{Method: "SMTP", URL: "smtp:"}, sendResult{outcome: notify.Failed, err: "render: " + err.Error()})
	}
	resolved, err := a.resolve(ctx, specs, ev)
	if err != nil {
		return AttemptResult{}, err
	}
	if err := a.DB.AddRecipients(ctx, d.ID, resolved); err != nil {
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
	var processed, deferred, dropped int
	var lastErr string
	for _, r := range rs {
		if r.Status == domain.RecipientProcessed || r.Status == domain.RecipientDropped {
			if r.Status == domain.RecipientProcessed {
				processed++
			} else {
				dropped++
			}
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
		err := a.Mail.Send(ctx, msg)
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
	res := sendResult{latency: time.Since(start), err: lastErr}
	switch {
	case deferred > 0:
		res.outcome = notify.Retry
	case processed > 0:
		res.outcome, res.err = notify.Delivered, ""
	default:
		res.outcome = notify.Failed
		if len(rs) == 0 {
			res.err = "no recipients resolved"
		}
	}
	body := []byte(content.Subject + "\n" + content.HTML + content.Text)
	req := notify.Request{Method: "SMTP", URL: fmt.Sprintf("smtp:%d recipients (%d processed, %d deferred, %d dropped)", len(rs), processed, deferred, dropped), Body: body}
	return a.record(ctx, d, in, req, res)
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
		r := store.Recipient{Kind: kind, Email: email, Name: name, Status: domain.RecipientSending}
		if _, err := mail.ParseAddress(email); err != nil {
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
