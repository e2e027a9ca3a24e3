package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"gatehouse/internal/domain"
	"gatehouse/internal/portal"
	"gatehouse/internal/store"
	"gatehouse/internal/testkit"
)

func TestApprovalRecordIsRetrySafe(t *testing.T) {
	ctx := context.Background()
	s := testkit.Get(t).Store(t)
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	id := "Approval:p1:accessRequest:29"
	na := store.NewApproval{ID: id, PortalID: "p1", Kind: "accessRequest", EntityID: "29", EventID: "ev_a", ObjectID: 29,
		Required: 1, Policy: portal.Policy{RequiredApprovals: 1}, Summary: json.RawMessage(`{"ID":29,"PlanID":3}`), At: at,
		Object: portal.ApprovalEventObject{ApprovalID: id, PortalID: "p1", Kind: "accessRequest", EntityID: "29", Status: "pending"}}
	for range 2 { // a retried activity
		seq, err := s.CreateApproval(ctx, na)
		if err != nil || seq != 1 {
			t.Fatalf("create: %d %v", seq, err)
		}
	}
	vote := &portal.ApprovalVote{Approver: "a@x.io", Decision: "approved", DecisionID: "d1", VotedAt: at.Add(time.Minute)}
	obj := &portal.ApprovalEventObject{ApprovalID: id, PortalID: "p1", Kind: "accessRequest", Status: "approved",
		Decision: &portal.ApprovalDecisionObject{Decision: "approved", By: "a@x.io", Via: "api"}}
	steps := []portal.ApprovalStep{
		{ApprovalID: id, Seq: 2, At: at.Add(time.Minute), Action: "voted", Actor: "a@x.io", Detail: "approved via api", Vote: vote},
		{ApprovalID: id, Seq: 3, At: at.Add(2 * time.Minute), Action: "decided", Actor: "a@x.io", Event: domain.EventApprovalDecided, Object: obj,
			Change: &portal.ApprovalChange{Status: "approved", Decision: "approved", DecidedBy: "a@x.io", Via: "api", Callback: "done"}},
	}
	for _, st := range steps {
		for range 2 {
			if err := s.RecordApprovalStep(ctx, st); err != nil {
				t.Fatalf("step %d: %v", st.Seq, err)
			}
		}
	}
	a, votes, audit, err := s.GetApproval(ctx, id)
	if err != nil || a.Status != "approved" || *a.DecidedBy != "a@x.io" || *a.CallbackStatus != "done" || len(votes) != 1 || len(audit) != 3 {
		t.Fatalf("get: %+v %+v %+v %v", a, votes, audit, err)
	}
	evs, err := s.EventsFor(ctx, domain.ObjectTypeApproval, id)
	if err != nil || len(evs) != 2 || evs[0].EventType != domain.EventApprovalRequested || evs[1].EventType != domain.EventApprovalDecided {
		t.Fatalf("events: %+v %v", evs, err)
	}
	var o portal.ApprovalEventObject
	if err := json.Unmarshal(evs[1].Object, &o); err != nil || string(o.Request) != `{"ID":29,"PlanID":3}` || o.Decision.By != "a@x.io" {
		t.Fatalf("decided object %s: %v", evs[1].Object, err)
	}
	list, err := s.ListApprovals(ctx, store.ApprovalFilter{Status: "approved", PortalID: "p1"})
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
	if list, _ := s.ListApprovals(ctx, store.ApprovalFilter{Status: "pending"}); len(list) != 0 {
		t.Fatalf("pending: %+v", list)
	}

	// The same id again (a new request): the row resets, the audit goes on.
	na.EventID, na.At = "ev_b", at.Add(time.Hour)
	seq, err := s.CreateApproval(ctx, na)
	if err != nil || seq != 4 {
		t.Fatalf("second run: %d %v", seq, err)
	}
	a, votes, _, _ = s.GetApproval(ctx, id)
	if a.Status != "pending" || a.DecidedBy != nil || len(votes) != 0 {
		t.Fatalf("reset: %+v %+v", a, votes)
	}

	// A link is spent with its vote, once.
	hash := make([]byte, 32)
	hash[0] = 7
	if err := s.CreateApprovalLink(ctx, store.ApprovalLink{TokenHash: hash, ApprovalID: id, Approver: "a@x.io", Decision: "approved",
		CreatedAt: at, ExpiresAt: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	v2 := &portal.ApprovalVote{Approver: "a@x.io", Decision: "approved", DecisionID: "d2", VotedAt: at, LinkHash: hash}
	if err := s.RecordApprovalStep(ctx, portal.ApprovalStep{ApprovalID: id, Seq: 5, At: at, Action: "voted", Vote: v2}); err != nil {
		t.Fatal(err)
	}
	l, err := s.ApprovalLinkByHash(ctx, hash)
	if err != nil || l.UsedAt == nil || l.Decision != "approved" {
		t.Fatalf("link: %+v %v", l, err)
	}
	if _, err := s.OpenApprovalByRequester(ctx, "p1", "accessRequest", 5); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("by requester: %v", err)
	}
}

// A step under a seq that holds another entry is an error: answering
// success (as for a retry) would drop the step and its vote.
func TestApprovalStepConflictIsAnError(t *testing.T) {
	ctx := context.Background()
	s := testkit.Get(t).Store(t)
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	id := "Approval:p1:accessRequest:31"
	seq, err := s.CreateApproval(ctx, store.NewApproval{ID: id, PortalID: "p1", Kind: "accessRequest", EntityID: "31", EventID: "ev_c",
		ObjectID: 31, Required: 1, Summary: json.RawMessage(`{"ID":31}`), At: at,
		Object: portal.ApprovalEventObject{ApprovalID: id, PortalID: "p1", Kind: "accessRequest", EntityID: "31", Status: "pending"}})
	if err != nil {
		t.Fatal(err)
	}
	vote := &portal.ApprovalVote{Approver: "a@x.io", Decision: "approved", DecisionID: "d1", VotedAt: at}
	voted := portal.ApprovalStep{ApprovalID: id, Seq: seq, At: at, Action: "voted", Actor: "a@x.io", Detail: "approved via api", Vote: vote}
	if err := s.RecordApprovalStep(ctx, voted); !errors.Is(err, store.ErrStepConflict) {
		t.Fatalf("vote under the requested entry's seq: %v", err)
	}
	d := store.Delivery{ID: "Delivery:ev_c:portal:p1", EventID: "ev_c", EventType: domain.EventApprovalDecided, TargetKind: domain.TargetPortal, TargetID: "p1"}
	started := portal.ApprovalStep{ApprovalID: id, Seq: seq, At: at, Action: "callbackStarted", Actor: "system", Detail: "delivery " + d.ID}
	if err := s.StartApprovalCallback(ctx, started, d); !errors.Is(err, store.ErrStepConflict) {
		t.Fatalf("callback under the requested entry's seq: %v", err)
	}
	// The same step twice is a retry.
	voted.Seq = seq + 1
	for range 2 {
		if err := s.RecordApprovalStep(ctx, voted); err != nil {
			t.Fatalf("vote: %v", err)
		}
	}
	// Same action, other detail: another step.
	other := voted
	other.Detail, other.Vote = "rejected via api", nil
	if err := s.RecordApprovalStep(ctx, other); !errors.Is(err, store.ErrStepConflict) {
		t.Fatalf("other vote under a taken seq: %v", err)
	}
	_, votes, audit, err := s.GetApproval(ctx, id)
	if err != nil || len(votes) != 1 || len(audit) != 2 || audit[0].Action != "requested" || audit[1].Action != "voted" {
		t.Fatalf("votes %+v audit %+v %v", votes, audit, err)
	}
	if _, err := s.GetDelivery(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the conflicting callback's delivery row: %v", err)
	}
}
