package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/notify"
	"gatehouse/internal/portal"
	"gatehouse/internal/store"
	"gatehouse/internal/tykportal"
)

// A portal callback is a delivery of target kind "portal": one attempt is
// one call (or read-modify-write) on the portal's admin API, claimed before
// it is sent like every other attempt. What to call comes from the
// approval's row (decision, objects, policy), recorded before the delivery
// started.

// portalCall is one attempt's request as the attempt row shows it and the
// function that makes it.
type portalCall struct {
	method, path string
	run          func(ctx context.Context, c *tykportal.Client) sendResult
}

// portalAttempt makes attempt in.Attempt of a portal callback.
func (a *Deliverer) portalAttempt(ctx context.Context, d store.Delivery, in AttemptInput) (AttemptResult, error) {
	ap, err := a.DB.ApprovalByCallback(ctx, d.ID)
	if err != nil {
		return AttemptResult{}, classify(err, "ApprovalNotFound")
	}
	var pol portal.Policy
	if err := json.Unmarshal(ap.Policy, &pol); err != nil {
		return a.once(ctx, d, in, notify.Request{Method: http.MethodPut, URL: d.URL}, failed("the approval's policy: "+err.Error()))
	}
	call := a.portalCallFor(ap, pol)
	p, sec, err := a.DB.GetPortal(ctx, ap.PortalID)
	if errors.Is(err, store.ErrNotFound) {
		return a.once(ctx, d, in, notify.Request{Method: call.method, URL: d.URL}, failed("the portal "+ap.PortalID+" was deleted"))
	}
	if err != nil {
		return AttemptResult{}, err
	}
	// The row shows the request as sent; the admin token only as masked.
	req := notify.Request{Method: call.method, URL: strings.TrimRight(p.BaseURL, "/") + tykportal.APIPrefix + call.path,
		Header: http.Header{"Authorization": {notify.Masked}}}
	c, err := tykportal.New(p.BaseURL, sec.AdminToken, a.HTTP)
	if err != nil {
		return a.once(ctx, d, in, req, failed(err.Error()))
	}
	// onPortalError retry: what would end the callback is retried within
	// the longer schedule instead; the last attempt's answer stands.
	retryAll := pol.OnPortalError == portal.OnPortalErrorRetry
	return a.once(ctx, d, in, req, func(ctx context.Context) sendResult {
		r := call.run(ctx, c)
		if retryAll && r.Outcome == notify.Failed {
			r.Outcome = notify.Retry
		}
		return r
	})
}

// portalCallFor picks the call for the approval's kind and decision.
func (a *Deliverer) portalCallFor(ap store.ApprovalCallback, pol portal.Policy) portalCall {
	decision := portal.Decision("")
	if ap.Decision != nil {
		decision = portal.Decision(*ap.Decision)
	}
	id := ap.PortalObjectID.Int64
	switch {
	case ap.Kind == string(portal.KindAccessRequest) && (decision == portal.Approved || decision == portal.Rejected):
		verb := "approve"
		if decision == portal.Rejected {
			verb = "reject"
		}
		return portalCall{method: http.MethodPut, path: "/access_requests/" + itoa(id) + "/" + verb,
			run: func(ctx context.Context, c *tykportal.Client) sendResult {
				return decideAccessRequest(ctx, c, id, decision)
			}}
	case ap.Kind == string(portal.KindUserRegistration) && decision == portal.Approved:
		return portalCall{method: http.MethodPut, path: "/users/" + itoa(id),
			run: func(ctx context.Context, c *tykportal.Client) sendResult {
				start := time.Now()
				_, err := c.ActivateUser(ctx, id)
				return portalResult(err, "user "+itoa(id)+" is active", time.Since(start))
			}}
	case ap.Kind == string(portal.KindOrganisationRequest) && decision == portal.Approved && pol.OrganisationApproval == portal.OrganisationCreate:
		return portalCall{method: http.MethodPost, path: "/organisations",
			run: func(ctx context.Context, c *tykportal.Client) sendResult { return a.createOrganisation(ctx, c, ap) }}
	}
	return portalCall{method: http.MethodPut, path: "/",
		run: func(context.Context, *tykportal.Client) sendResult {
			return sendResult{Outcome: notify.Failed, Err: fmt.Sprintf("no portal call for a %s %s", decision, ap.Kind)}
		}}
}

// decideAccessRequest approves or rejects; a 422 is read back with GET:
// already in the wanted state is done, otherwise the portal's message ends
// the callback.
func decideAccessRequest(ctx context.Context, c *tykportal.Client, id int64, decision portal.Decision) sendResult {
	start := time.Now()
	var err error
	if decision == portal.Approved {
		_, err = c.ApproveAccessRequest(ctx, id)
	} else {
		_, err = c.RejectAccessRequest(ctx, id)
	}
	rej, ok := tykportal.AsRejected(err)
	if !ok {
		return portalResult(err, "access request "+itoa(id)+" "+string(decision), time.Since(start))
	}
	ar, gerr := c.AccessRequest(ctx, id)
	if gerr != nil {
		r := portalResult(gerr, "", time.Since(start))
		r.Err = "the portal answered 422 (" + rej.Message + ") and reading the request back failed: " + r.Err
		return r
	}
	if ar.Status == string(decision) {
		return sendResult{Outcome: notify.Delivered, Status: http.StatusUnprocessableEntity, Latency: time.Since(start),
			Body: "already " + ar.Status + " in the portal: " + rej.Message}
	}
	return sendResult{Outcome: notify.Failed, Status: http.StatusUnprocessableEntity, Latency: time.Since(start),
		Body: rej.Message, Err: rej.Message + " (the request is " + ar.Status + ")"}
}

// noAnswer explains a create-organisation left unknown by an earlier attempt.
const noAnswer = "an earlier attempt sent POST /organisations and got no answer, so the organisation may exist; " +
	"it is not created twice: check the portal and decide there"

// createOrganisation creates the requested organisation (at most once: the
// claim is committed before the POST) and moves the requester into it.
func (a *Deliverer) createOrganisation(ctx context.Context, c *tykportal.Client, ap store.ApprovalCallback) sendResult {
	start := time.Now()
	var m portal.OrganisationRequestMessage
	if err := json.Unmarshal(ap.Summary, &m); err != nil || strings.TrimSpace(m.Name) == "" {
		return sendResult{Outcome: notify.Failed, Err: "the organisation request has no Name"}
	}
	admin := ap.RequesterID.Int64
	if admin == 0 {
		admin = m.AdminID
	}
	if admin == 0 {
		return sendResult{Outcome: notify.Failed, Err: "the organisation request has no AdminID"}
	}
	orgID := ap.PortalOrgID.Int64
	if orgID == 0 {
		claimed, err := a.DB.ClaimOrganisationCreate(ctx, ap.ID, start)
		switch {
		case err != nil:
			return sendResult{Outcome: notify.Retry, Err: "recording the organisation's creation: " + err.Error(), Latency: time.Since(start)}
		case !claimed:
			return sendResult{Outcome: notify.Failed, Err: noAnswer}
		}
		org, err := c.CreateOrganisation(ctx, m.Name)
		if err != nil {
			var e *tykportal.Error
			_, rejected := tykportal.AsRejected(err)
			if rejected || (errors.As(err, &e) && e.Status != 0) {
				// The portal answered: nothing was created, a later attempt may POST.
				if rerr := a.DB.ReleaseOrganisationCreate(ctx, ap.ID); rerr != nil {
					a.Log.Warn("portal callback: could not release the organisation claim", "approval", ap.ID, "err", rerr)
				}
			}
			return portalResult(err, "", time.Since(start))
		}
		orgID = org.ID
		if err := a.DB.SetPortalOrganisation(ctx, ap.ID, orgID); err != nil {
			// The user is moved below all the same; only a failure there needs the id again.
			a.Log.Warn("portal callback: could not record the created organisation", "approval", ap.ID, "org", orgID, "err", err)
			if _, merr := c.MoveUserToOrganisation(ctx, admin, orgID); merr != nil {
				return sendResult{Outcome: notify.Failed, Latency: time.Since(start),
					Err: fmt.Sprintf("organisation %d created, but moving user %d failed (%v) and its id could not be recorded (%v)", orgID, admin, merr, err)}
			}
			return sendResult{Outcome: notify.Delivered, Status: http.StatusOK, Latency: time.Since(start),
				Body: fmt.Sprintf("organisation %d %q created; user %d moved into it", orgID, m.Name, admin)}
		}
	}
	_, err := c.MoveUserToOrganisation(ctx, admin, orgID)
	return portalResult(err, fmt.Sprintf("organisation %d %q created; user %d moved into it", orgID, m.Name, admin), time.Since(start))
}

// portalResult classifies a call's error: 5xx, 429 and network errors are
// retried, 422 and other answers end the callback with the portal's message.
func portalResult(err error, done string, latency time.Duration) sendResult {
	if err == nil {
		return sendResult{Outcome: notify.Delivered, Status: http.StatusOK, Body: done, Latency: latency}
	}
	r := sendResult{Outcome: notify.Failed, Err: err.Error(), Latency: latency}
	if rej, ok := tykportal.AsRejected(err); ok {
		r.Status, r.Body, r.Err = http.StatusUnprocessableEntity, rej.Message, rej.Message
		return r
	}
	var e *tykportal.Error
	if errors.As(err, &e) {
		r.Status, r.Body = e.Status, e.Message
	}
	if tykportal.Retryable(err) {
		r.Outcome = notify.Retry
	}
	return r
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
