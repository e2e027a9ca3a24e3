package gatewaytest

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"gatehouse/internal/domain"
	"gatehouse/internal/portal"
	"gatehouse/internal/store"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/fakeportal"
)

// ApprovalPortal stores a portal pointing at a fake Tyk portal with the
// given policies, as PUT /api/v1/portals would.
func ApprovalPortal(t *testing.T, app *testkit.App, pols map[portal.Kind]*portal.Policy) (string, *fakeportal.Portal) {
	t.Helper()
	fp := fakeportal.New(t, "admintok")
	p := portal.Portal{ID: Unique("p"), Name: "Portal", BaseURL: fp.BaseURL(), Approvals: pols}
	p.ApplyDefaults()
	if probs := p.Validate(true); len(probs) > 0 {
		t.Fatalf("portal: %+v", probs)
	}
	tok := "admintok"
	if _, _, err := app.Store.PutPortal(context.Background(), p, store.PortalSecretsChange{AdminToken: &tok}); err != nil {
		t.Fatal(err)
	}
	return p.ID, fp
}

// IngestPortalEvent stores a portal event as the ingest route does; the relay then
// dispatches it (and the approval hook runs).
func IngestPortalEvent(t *testing.T, app *testkit.App, portalID, name string, msg map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(msg)
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	body, _ := json.Marshal(map[string]any{"Event": name, "Message": json.RawMessage(raw), "Timestamp": ts})
	ev, err := portal.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	id := domain.NewEventID(now)
	key := ev.DedupKey()
	pe := store.PortalEvent{ID: id, PortalID: portalID, DedupKey: key[:], EventName: ev.Name, SentName: ev.SentName,
		EntityID: ev.EntityID(), PortalTimestamp: ev.Timestamp, Message: ev.Message, ReceivedAt: now}
	de := domain.Event{ID: id, EventType: ev.Name, EventObjectType: domain.ObjectTypePortalEvent, ObjectID: ev.EntityID(),
		Object: ev.Message, Source: "portal:" + portalID, OccurredAt: now, SentTimestamp: ts}
	if _, _, err := app.Store.AcceptPortalEvent(context.Background(), pe, de); err != nil {
		t.Fatal(err)
	}
}

// WaitApproval polls GET /api/v1/approvals/{id} until its row has status.
func WaitApproval(t *testing.T, app *testkit.App, id, status string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := Admin(t, app, "GET", "/api/v1/approvals/"+url.PathEscape(id), nil)
		if r.Status == 200 {
			m := r.JSON(t)
			if m["approval"].(map[string]any)["status"] == status {
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("approval %s: want %s, have %s", id, status, r.Body)
			}
		} else if r.Status != 404 || time.Now().After(deadline) {
			t.Fatalf("approval %s: %d %s", id, r.Status, r.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
