package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/domain"
	"gatehouse/internal/portal"
	"gatehouse/internal/store"
	"gatehouse/internal/testkit"
)

func TestPortalWriteOnlyValuesAndSecret(t *testing.T) {
	ctx := context.Background()
	s := testkit.Get(t).Store(t)
	token, whsec := "tok-1", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	p := portal.Portal{ID: "p-store", Name: "Portal", BaseURL: "https://portal.example.com"}
	p.ApplyDefaults()
	saved, created, err := s.PutPortal(ctx, p, store.PortalSecretsChange{AdminToken: &token, InboundSecretHash: portal.HashSecret("first"), StandardWebhooksSecret: &whsec})
	if err != nil || !created {
		t.Fatalf("put: created=%v err=%v", created, err)
	}
	if !saved.AdminTokenSet || !saved.InboundSecretSet || !saved.StandardWebhooksSecretSet || saved.AdminToken != "" {
		t.Fatalf("saved = %+v", saved)
	}
	// A replace without write-only values keeps them.
	p.Name = "Renamed"
	if _, created, err = s.PutPortal(ctx, p, store.PortalSecretsChange{}); err != nil || created {
		t.Fatalf("replace: created=%v err=%v", created, err)
	}
	got, sec, err := s.GetPortal(ctx, p.ID)
	if err != nil || got.Name != "Renamed" || sec.AdminToken != token || sec.StandardWebhooksSecret != whsec {
		t.Fatalf("get = %+v %+v %v", got, sec, err)
	}
	for secret, want := range map[string]bool{"first": true, "second": false, "": false} {
		if ok, err := s.CheckInboundSecret(ctx, p.ID, secret); err != nil || ok != want {
			t.Errorf("check %q = %v %v, want %v", secret, ok, err, want)
		}
	}
	if err := s.SetInboundSecret(ctx, p.ID, portal.HashSecret("second")); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.CheckInboundSecret(ctx, p.ID, "second"); !ok {
		t.Error("rotated secret refused")
	}
	if ok, err := s.CheckInboundSecret(ctx, "nope", "second"); ok || err != nil {
		t.Errorf("unknown portal = %v %v", ok, err)
	}
	if err := s.DeletePortal(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.GetPortal(ctx, p.ID); err != store.ErrNotFound {
		t.Fatalf("after delete: %v", err)
	}
}

func TestAcceptPortalEventDeduplicates(t *testing.T) {
	ctx := context.Background()
	s := testkit.Get(t).Store(t)
	body := []byte(`{"Event":"UserRegistered","Message":{"ID":7,"Email":"a@x.io","Status":"inactive"},"Timestamp":"2024-04-22T16:38:54.082037+02:00"}`)
	ev, err := portal.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	accept := func() (string, bool, error) {
		now := time.Now().UTC()
		id := domain.NewEventID(now)
		key := ev.DedupKey()
		return s.AcceptPortalEvent(ctx, store.PortalEvent{ID: id, PortalID: "p-dedup", DedupKey: key[:], EventName: ev.Name,
			SentName: ev.SentName, EntityID: ev.EntityID(), PortalTimestamp: ev.Timestamp, Message: ev.Message, ReceivedAt: now},
			domain.Event{ID: id, EventType: ev.Name, EventObjectType: domain.ObjectTypePortalEvent, ObjectID: "p-dedup/user/7",
				Object: ev.Message, Source: "portal:p-dedup", OccurredAt: now, SentTimestamp: ev.RawTimestamp})
	}
	first, created, err := accept()
	if err != nil || !created {
		t.Fatalf("first: %v %v", created, err)
	}
	again, created, err := accept()
	if err != nil || created || again != first {
		t.Fatalf("duplicate: id=%s (first %s) created=%v err=%v", again, first, created, err)
	}
	se, err := s.GetEvent(ctx, first)
	if err != nil || se.SentTimestamp != "2024-04-22T16:38:54.082037+02:00" || se.EventType != "UserRegistered" {
		t.Fatalf("event = %+v %v", se, err)
	}
	var msg map[string]any
	if err := json.Unmarshal(se.Object, &msg); err != nil || msg["Email"] != "a@x.io" {
		t.Fatalf("object = %s", se.Object)
	}
	if n, _ := s.CountPortalEvents(ctx, "p-dedup"); n != 1 {
		t.Fatalf("%d portal events, want 1", n)
	}
}

// The portal event and its outbox event are stored together or not at
// all: a failing write after the portal_events insert (the snapshot of an
// object id longer than its column) leaves no row behind.
func TestAcceptPortalEventIsAtomic(t *testing.T) {
	ctx := context.Background()
	s := testkit.Get(t).Store(t)
	now := time.Now().UTC()
	id := domain.NewEventID(now)
	key := [32]byte{1}
	_, _, err := s.AcceptPortalEvent(ctx, store.PortalEvent{ID: id, PortalID: "p-atomic", DedupKey: key[:], EventName: "UserRegistered",
		SentName: "UserRegistered", EntityID: "1", PortalTimestamp: now, Message: json.RawMessage(`{}`), ReceivedAt: now},
		domain.Event{ID: id, EventType: "UserRegistered", EventObjectType: domain.ObjectTypePortalEvent, ObjectID: strings.Repeat("x", 200),
			Object: json.RawMessage(`{}`), Source: "portal:p-atomic", OccurredAt: now})
	if err == nil {
		t.Fatal("an object id longer than its column was stored")
	}
	if n, _ := s.CountPortalEvents(ctx, "p-atomic"); n != 0 {
		t.Fatalf("%d portal events left by a failed transaction", n)
	}
	if _, err := s.GetEvent(ctx, id); err != store.ErrNotFound {
		t.Fatalf("outbox event after a failed transaction: %v", err)
	}
}
