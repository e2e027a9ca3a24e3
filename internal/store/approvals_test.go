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
