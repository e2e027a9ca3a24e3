package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gatehouse/internal/domain"
	"gatehouse/internal/mapping"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
	"gatehouse/internal/testkit"
)

// A workflow's block (a rejected registration) is an admin's block with a
// fixed event id and time: one UserAccountDeactivated however often the
// activity runs, then the admin's unblock and block work on it as usual.
func TestSetBlockedWithFixedEvent(t *testing.T) {
	ctx := context.Background()
	s := testkit.Get(t).Store(t)
	st := site.Site{ID: "blocking", EventName: "Block Summit"}
	st.Registration.Enabled = true
	st.ApplyDefaults()
	if _, _, err := s.PutSite(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	addr := "rejected-" + time.Now().Format("150405.000000") + "@example.test"
	userID := mapping.UserID(st.ID, addr)
	if _, err := s.UpsertUser(ctx, store.UpsertUserParams{SiteID: st.ID, UserID: userID, Action: domain.ActionRegister,
		Registrant: mapping.Registrant{Email: addr, FirstName: "Re", LastName: "Jected", Language: "en"}, ReceivedAt: time.Now(), Source: "test"}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	reject := store.BlockChange{Blocked: true, Source: "approval", EventID: "ev_reject_1", At: at}
	for run := range 2 { // a retried activity
		u, changed, err := s.SetBlocked(ctx, st.ID, userID, reject)
		if err != nil || u.Status != domain.UserBlocked || changed != (run == 0) {
			t.Fatalf("run %d: %+v changed=%v %v", run, u, changed, err)
		}
		if run == 0 && !u.UpdatedAt.Equal(at) {
			t.Fatalf("updatedAt %v, want the workflow's time %v", u.UpdatedAt, at)
		}
	}
	if _, changed, err := s.SetBlocked(ctx, st.ID, userID, store.BlockChange{Blocked: true, Source: "api"}); err != nil || changed {
		t.Fatalf("an admin's block of a rejected user: changed=%v %v", changed, err)
	}
	u, changed, err := s.SetBlocked(ctx, st.ID, userID, store.BlockChange{Blocked: false, Source: "api"})
	if err != nil || !changed || u.Status != domain.UserPending {
		t.Fatalf("unblock: %+v changed=%v %v", u, changed, err)
	}
	evs, err := s.EventsFor(ctx, domain.ObjectTypeUser, userID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range evs {
		got[e.EventType+"/"+e.Source]++
		if e.EventType == domain.EventUserAccountDeactivated && (e.ID != "ev_reject_1" || !e.OccurredAt.Equal(at)) {
			t.Fatalf("the rejection's event: id %s at %v", e.ID, e.OccurredAt)
		}
	}
	if len(evs) != 3 || got["UserRegistered/test"] != 1 || got["UserAccountDeactivated/approval"] != 1 || got["UserAccountActivated/api"] != 1 {
		t.Fatalf("events %v, want one each of UserRegistered, UserAccountDeactivated (approval), UserAccountActivated (api)", got)
	}
	if _, _, err := s.SetBlocked(ctx, st.ID, "unone", reject); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}
