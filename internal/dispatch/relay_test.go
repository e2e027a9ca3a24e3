package dispatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/config"
	"gatehouse/internal/dispatch"
	"gatehouse/internal/domain"
	"gatehouse/internal/metrics"
	"gatehouse/internal/store"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"

	"github.com/jmoiron/sqlx"
)

// startApp starts gateway and worker with the worker's own relay waiting an
// hour, so a test drives the relay itself, round by round, and can tell
// what one round did.
func startApp(t *testing.T, mutate ...func(*config.Config)) *testkit.App {
	t.Helper()
	return testkit.Get(t).StartApp(t, append([]func(*config.Config){func(c *config.Config) { c.RelayGrace = time.Hour }}, mutate...)...)
}

// relayOf is a relay like the worker's, on the app's task queue.
func relayOf(t *testing.T, app *testkit.App, s *store.Store, m *metrics.Relay) *dispatch.Dispatcher {
	if s == nil {
		s = app.Store
	}
	return &dispatch.Dispatcher{Store: s, Temporal: app.Temporal, TaskQueue: app.Config.Temporal.TaskQueue, Log: testkit.Get(t).Log, Metrics: m}
}

// drain runs relay rounds until one finds nothing to do.
func drain(t *testing.T, d *dispatch.Dispatcher, grace time.Duration) {
	t.Helper()
	for range 50 {
		n, err := dispatch.RelayOnce(context.Background(), d, grace)
		if err != nil {
			t.Fatalf("relay: %v", err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("the relay never ran out of events")
}

// record stores an event the way operational and user events are stored:
// no fast path, the relay dispatches it.
func record(t *testing.T, app *testkit.App, eventType, objectType string, obj map[string]any, occurred time.Time) domain.Event {
	t.Helper()
	b, _ := json.Marshal(obj)
	ev := domain.Event{ID: domain.NewEventID(time.Now()), EventType: eventType, EventObjectType: objectType,
		ObjectID: fmt.Sprint(obj["id"]), Object: b, Source: "test", OccurredAt: occurred}
	if err := app.Store.RecordEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func stored(t *testing.T, app *testkit.App, id string) domain.StoredEvent {
	t.Helper()
	se, err := app.Store.GetEvent(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return se
}

// hook is a receiver and an active HTTP template sending it every event of
// type 2 on a fresh object type.
func hook(t *testing.T, app *testkit.App) (*testkit.Receiver, string) {
	t.Helper()
	rc := testkit.NewReceiver(t)
	objectType := gatewaytest.Unique("obj")
	gatewaytest.AddActive(t, app, "[eventType]", "2", "[eventObjectType]", objectType, "[url]", rc.URL+"/hook")
	return rc, objectType
}

// deliveriesOf checks an event has n deliveries.
func deliveriesOf(t *testing.T, app *testkit.App, eventID string, n int) []store.Delivery {
	t.Helper()
	ds, err := app.Store.ListDeliveries(context.Background(), store.DeliveryFilter{EventID: eventID, Limit: 10})
	if err != nil || len(ds) != n {
		t.Fatalf("event %s: %d deliveries, want %d (%v)", eventID, len(ds), n, err)
	}
	return ds
}

func exec(t *testing.T, app *testkit.App, q string, args ...any) {
	t.Helper()
	if _, err := app.Store.DB().Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// A failed read of a boolean template is not "no such template": the match
// fails, so the event is not marked dispatched without that template's
// delivery, and the relay delivers it once MySQL answers again.
func TestBooleanLookupErrorStopsTheMatch(t *testing.T) {
	app := startApp(t)
	rc := testkit.NewReceiver(t)
	objectType := gatewaytest.Unique("obj")
	res, err := app.Store.DB().Exec(`INSERT INTO notification_templates (partner_id, name, type, status, event_type, event_object_type, body, secrets, created_at, updated_at)
		VALUES (1, ?, 'booleanNotification.Boolean', 2, '', '', ?, '{}', NOW(6), NOW(6))`, "Bool "+objectType,
		`{"name":"Bool","type":"booleanNotification.Boolean","eventConditions":[{"objectType":"KalturaEventFieldCondition","field":{"objectType":"KalturaEvalBooleanField","code":"{event.object.status}==2"}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	boolID, _ := res.LastInsertId()
	gatewaytest.AddActive(t, app, "[eventType]", "2", "[eventObjectType]", objectType, "[url]", rc.URL+"/hook",
		"[eventConditions][0][objectType]", "KalturaEventFieldCondition",
		"[eventConditions][0][field][objectType]", "KalturaEvalBooleanField",
		"[eventConditions][0][field][code]", "{event.object.ready}==1",
		"[eventConditions][1][objectType]", "KalturaBooleanEventNotificationCondition",
		"[eventConditions][1][booleanEventNotificationIds]", fmt.Sprint(boolID))

	proxy := testkit.NewProxy(t, "127.0.0.1:3306")
	cfg := app.Config
	s, err := store.Open(context.Background(), strings.Replace(cfg.MySQLDSN, "127.0.0.1:3306", proxy.Addr(), 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	d := relayOf(t, app, s, nil)

	// The first event of a batch loads the candidates; its first
	// condition is false, so the boolean template is not read yet.
	m := dispatch.NewMatcher(d)
	first := domain.StoredEvent{Event: domain.Event{ID: domain.NewEventID(time.Now()), EventType: "2", EventObjectType: objectType,
		ObjectID: "0_a", Object: []byte(`{"id":"0_a","ready":0,"status":2}`)}}
	if targets, err := m.Match(context.Background(), first); err != nil || len(targets) != 0 {
		t.Fatalf("first event: %v %v", targets, err)
	}
	ev := record(t, app, "2", objectType, map[string]any{"id": "0_b", "ready": 1, "status": 2}, time.Now())
	proxy.Cut()
	targets, err := m.Match(context.Background(), stored(t, app, ev.ID))
	proxy.Restore()
	if err == nil {
		t.Fatalf("MySQL was down while reading the boolean template, and the match said %d targets and no error", len(targets))
	}
	if se := stored(t, app, ev.ID); se.DispatchedAt != nil {
		t.Fatal("the event is marked dispatched")
	}
	drain(t, d, 0)
	gatewaytest.WaitRequests(t, rc, 1)
	deliveriesOf(t, app, ev.ID, 1)
	if se := stored(t, app, ev.ID); se.DispatchedAt == nil {
		t.Fatal("the relay did not mark the event dispatched")
	}
}

// The relay ages and orders events by the time Gatehouse stored them, not
// by the sender's occurredAt: a day-old occurredAt does not let it take an
// event inside its grace (which belongs to the request's own fast path),
// and one a year ahead does not hide an event until then.
func TestRelayAgesEventsByRecordedAt(t *testing.T) {
	app := startApp(t)
	rc, objectType := hook(t, app)
	past := record(t, app, "2", objectType, map[string]any{"id": "0_p"}, time.Now().AddDate(0, 0, -1))
	future := record(t, app, "2", objectType, map[string]any{"id": "0_f"}, time.Now().AddDate(1, 0, 0))
	d := relayOf(t, app, nil, nil)
	if _, err := dispatch.RelayOnce(context.Background(), d, time.Minute); err != nil {
		t.Fatal(err)
	}
	if se := stored(t, app, past.ID); se.DispatchedAt != nil {
		t.Fatal("the relay took an event stored a moment ago because its occurredAt is a day old")
	}
	drain(t, d, 0)
	if se := stored(t, app, future.ID); se.DispatchedAt == nil {
		t.Fatal("an event with occurredAt a year ahead was left for next year")
	}
	if se := stored(t, app, past.ID); se.DispatchedAt == nil {
		t.Fatal("the relay did not take the event after the grace")
	}
	gatewaytest.WaitRequests(t, rc, 2)
}

// An event whose dispatch fails through its own fault (here MySQL refuses
// its delivery rows, every time) does not hold newer events back; after
// SkipAfter tries it is set aside with the reason, counted, and reported as
// EventDispatchFailed.
func TestPoisonEventIsSetAside(t *testing.T) {
	app := startApp(t)
	rc, objectType := hook(t, app)
	watcher := testkit.NewReceiver(t)
	if r := gatewaytest.Admin(t, app, "POST", "/api/v1/channels", map[string]any{"name": "ops", "targetUrl": watcher.URL,
		"events": []string{dispatch.EventDispatchFailed}}); r.Status != 201 {
		t.Fatalf("channel: %d %s", r.Status, r.Body)
	}
	bad := record(t, app, "2", objectType, map[string]any{"id": "0_bad"}, time.Now())
	trigger := "poison_" + strings.ToLower(gatewaytest.Unique("t"))
	exec(t, app, fmt.Sprintf(`CREATE TRIGGER %s BEFORE INSERT ON deliveries FOR EACH ROW BEGIN
		IF NEW.event_id = '%s' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'this event cannot be delivered'; END IF; END`, trigger, bad.ID))
	t.Cleanup(func() { app.Store.DB().Exec("DROP TRIGGER IF EXISTS " + trigger) }) //nolint:errcheck
	good := record(t, app, "2", objectType, map[string]any{"id": "0_good"}, time.Now())

	reg := metrics.New()
	d := relayOf(t, app, nil, reg.Relay)
	if _, err := dispatch.RelayOnce(context.Background(), d, 0); err != nil {
		t.Fatalf("relay: %v", err)
	}
	if se := stored(t, app, good.ID); se.DispatchedAt == nil {
		t.Fatal("a failing older event held back a newer one")
	}
	gatewaytest.WaitRequests(t, rc, 1)
	deliveriesOf(t, app, good.ID, 1)
	drain(t, d, 0)

	var row struct {
		Attempts int        `db:"dispatch_attempts"`
		Error    *string    `db:"dispatch_error"`
		Skipped  *time.Time `db:"dispatch_skipped_at"`
		Done     *time.Time `db:"dispatched_at"`
	}
	if err := app.Store.DB().Get(&row, "SELECT dispatch_attempts, dispatch_error, dispatch_skipped_at, dispatched_at FROM events WHERE id = ?", bad.ID); err != nil {
		t.Fatal(err)
	}
	if row.Attempts != dispatch.SkipAfter || row.Skipped == nil || row.Done != nil || row.Error == nil ||
		!strings.Contains(*row.Error, "this event cannot be delivered") {
		t.Fatalf("poison event: %+v %v", row, row.Error)
	}
	if n := len(rc.Requests()); n != 1 {
		t.Fatalf("%d requests, want the good event's only", n)
	}

	srv := httptest.NewServer(reg.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"gatehouse_relay_events_skipped_total 1\n", fmt.Sprintf("gatehouse_relay_event_failures_total %d\n", dispatch.SkipAfter)} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("metrics lack %q:\n%s", want, body)
		}
	}

	reports, err := app.Store.EventsFor(context.Background(), dispatch.ObjectTypeEvent, bad.ID)
	if err != nil || len(reports) != 1 || reports[0].EventType != dispatch.EventDispatchFailed {
		t.Fatalf("operational event: %v %v", reports, err)
	}
	if q := gatewaytest.WaitRequests(t, watcher, 1)[0]; !strings.Contains(string(q.Body), bad.ID) || !strings.Contains(string(q.Body), "cannot be delivered") {
		t.Fatalf("report: %s", q.Body)
	}
}

// Kaltura's manual dispatch stores its event already dispatched: even when
// marking it dispatched would fail, the relay never matches it against
// other targets.
func TestManualDispatchEventNeverRelayed(t *testing.T) {
	app := startApp(t)
	manual, other := testkit.NewReceiver(t), testkit.NewReceiver(t)
	objectType := gatewaytest.Unique("obj")
	id := gatewaytest.AddActive(t, app, "[eventType]", "2", "[eventObjectType]", objectType, "[url]", manual.URL+"/manual", "[manualDispatchEnabled]", "1")
	gatewaytest.AddActive(t, app, "[eventType]", "2", "[eventObjectType]", objectType, "[url]", other.URL+"/other")
	// The object's snapshot comes from an event no template wants.
	if r := gatewaytest.PostEvent(t, app, map[string]any{"eventType": "1", "eventObjectType": objectType, "objectId": "0_m",
		"object": map[string]any{"id": "0_m"}}); r.Status != 202 {
		t.Fatalf("event: %d %s", r.Status, r.Body)
	}
	// MySQL refuses to mark a dispatch event dispatched after the fact.
	trigger := "nomark_" + strings.ToLower(gatewaytest.Unique("t"))
	exec(t, app, fmt.Sprintf(`CREATE TRIGGER %s BEFORE UPDATE ON events FOR EACH ROW BEGIN
		IF NEW.event_object_type = '%s' AND NEW.source = 'dispatch' AND OLD.dispatched_at IS NULL AND NEW.dispatched_at IS NOT NULL
		THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'cannot mark'; END IF; END`, trigger, objectType))
	t.Cleanup(func() { app.Store.DB().Exec("DROP TRIGGER IF EXISTS " + trigger) }) //nolint:errcheck

	r := gatewaytest.Kaltura(t, app, "dispatch", "id", id, "scope[objectType]", "KalturaEventNotificationScope", "scope[objectId]", "0_m", "scope[scopeObjectType]", objectType)
	exec(t, app, "DROP TRIGGER "+trigger)
	drain(t, relayOf(t, app, nil, nil), 0)
	events, err := app.Store.EventsFor(context.Background(), objectType, "0_m")
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		ds, err := app.Store.ListDeliveries(context.Background(), store.DeliveryFilter{EventID: ev.ID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, del := range ds {
			if !del.Manual {
				t.Fatalf("event %s (%s) got an automatic delivery to %s:%s", ev.ID, ev.Source, del.TargetKind, del.TargetID)
			}
		}
	}
	if r.Status != 200 {
		t.Fatalf("dispatch: %d %s", r.Status, r.Body)
	}
	gatewaytest.WaitRequests(t, manual, 1)
	if n := len(other.Requests()); n != 0 {
		t.Fatalf("the other template was called %d times", n)
	}
}

// A retry whose workflow cannot be started leaves the delivery as it was.
func TestRetryFailedStartLeavesStatus(t *testing.T) {
	proxy := testkit.NewProxy(t, testkit.Get(t).Temporal(t).FrontendAddr())
	app := startApp(t, func(c *config.Config) { c.Temporal.Address = proxy.Addr() })
	rc := testkit.NewReceiver(t)
	rc.Respond(func(int, testkit.Request) testkit.Reply { return testkit.Reply{Status: 400} })
	objectType := gatewaytest.Unique("obj")
	gatewaytest.AddActive(t, app, "[eventType]", "2", "[eventObjectType]", objectType, "[url]", rc.URL+"/hook")
	r := gatewaytest.PostEvent(t, app, map[string]any{"eventType": "2", "eventObjectType": objectType, "objectId": "0_r", "object": map[string]any{"id": "0_r"}})
	if r.Status != 202 {
		t.Fatalf("event: %d %s", r.Status, r.Body)
	}
	id := gatewaytest.EventDeliveries(t, app, r.JSON(t)["eventId"].(string), 1)[0]["id"].(string)
	gatewaytest.WaitDelivery(t, app, id, domain.DeliveryFailed)
	before, err := app.Store.GetDelivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}

	proxy.Cut()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := relayOf(t, app, nil, nil).Retry(ctx, id); err == nil {
		t.Fatal("retry with Temporal down succeeded")
	}
	proxy.Restore()
	after, err := app.Store.GetDelivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != before.Status || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatalf("a retry that never started changed the delivery: %s → %s", before.Status, after.Status)
	}

	// With Temporal back the retry runs (and fails again at the receiver).
	rc.Respond(nil)
	if r := gatewaytest.Admin(t, app, "POST", "/api/v1/deliveries/"+url.PathEscape(id)+"/retry", nil); r.Status != 202 {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	gatewaytest.WaitDelivery(t, app, id, domain.DeliveryDelivered)
}

// The worker serves its metrics on GATEHOUSE_METRICS_ADDR.
func TestWorkerServesMetrics(t *testing.T) {
	addr := testkit.FreeAddr(t)
	startApp(t, func(c *config.Config) { c.MetricsAddr = addr })
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(body), "gatehouse_relay_events_dispatched_total") ||
		!strings.Contains(string(body), "gatehouse_dispatch_busy 0") || !strings.Contains(string(body), "gatehouse_dispatch_held_rounds_total") {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
}

// An event answered 202 is durable before anything is dispatched: with the
// gateway's fast path off (a gateway that died right after answering) the
// answer says "queued", nothing is started, and the relay delivers it once.
func TestAcceptedEventSurvivesWithoutFastPath(t *testing.T) {
	app := startApp(t, func(c *config.Config) { c.DispatchWorkers = 0 })
	rc, objectType := hook(t, app)
	r := gatewaytest.PostEvent(t, app, map[string]any{"eventType": "2", "eventObjectType": objectType, "objectId": "0_c", "object": map[string]any{"id": "0_c"}})
	m := r.JSON(t)
	if r.Status != 202 || m["dispatch"] != "queued" || m["deliveries"] != nil {
		t.Fatalf("event: %d %s", r.Status, r.Body)
	}
	id := m["eventId"].(string)
	if se := stored(t, app, id); se.DispatchedAt != nil {
		t.Fatal("dispatched without a fast path or a relay round")
	}
	deliveriesOf(t, app, id, 0)
	drain(t, relayOf(t, app, nil, nil), 0)
	gatewaytest.WaitRequests(t, rc, 1)
	gatewaytest.WaitDelivery(t, app, deliveriesOf(t, app, id, 1)[0].ID, domain.DeliveryDelivered)
	if n := len(rc.Requests()); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

// The fast path owns an event only for the relay's grace: one it took but
// could not start in time is left undispatched, and the relay delivers it.
func TestFastPathLeavesLateEventsToTheRelay(t *testing.T) {
	app := startApp(t)
	rc, objectType := hook(t, app)
	d := relayOf(t, app, nil, nil)
	d.Workers, d.Grace = 1, time.Nanosecond
	rec, err := d.Record(context.Background(), domain.Event{ID: domain.NewEventID(time.Now()), EventType: "2", EventObjectType: objectType,
		ObjectID: "0_l", Object: []byte(`{"id":"0_l"}`), Source: "test", OccurredAt: time.Now()}, "", nil)
	if err != nil || rec.Queued {
		t.Fatalf("record: %+v %v", rec, err)
	}
	waitUntil(t, "the fast path is idle", func() bool { return dispatch.FastPathIdle(d) })
	if se := stored(t, app, rec.Event.ID); se.DispatchedAt != nil {
		t.Fatal("the fast path dispatched an event older than the grace")
	}
	deliveriesOf(t, app, rec.Event.ID, 0)
	drain(t, d, 0)
	gatewaytest.WaitRequests(t, rc, 1)
}

// The fast path starts an accepted event's deliveries after the answer.
func TestFastPathDispatches(t *testing.T) {
	app := startApp(t)
	rc, objectType := hook(t, app)
	r := gatewaytest.PostEvent(t, app, map[string]any{"eventType": "2", "eventObjectType": objectType, "objectId": "0_f", "object": map[string]any{"id": "0_f"}})
	if r.Status != 202 || r.JSON(t)["dispatch"] != "started" {
		t.Fatalf("event: %d %s", r.Status, r.Body)
	}
	id := r.JSON(t)["eventId"].(string)
	did := gatewaytest.EventDeliveries(t, app, id, 1)[0]["id"].(string)
	gatewaytest.WaitRequests(t, rc, 1)
	gatewaytest.WaitDelivery(t, app, did, domain.DeliveryDelivered)
	if se := stored(t, app, id); se.DispatchedAt == nil {
		t.Fatal("the fast path did not mark the event dispatched")
	}
}

// While accepts crowd the process the fast path still dispatches, in
// rounds of a few events: twelve events queued behind eight accepts in
// flight and 500 more arriving a second (busy from 200) are all
// delivered, by more than one round (a round of 32 would mark all twelve
// at once).
func TestBusyFastPathKeepsDispatchingInSmallRounds(t *testing.T) {
	app := startApp(t)
	rc, objectType := hook(t, app)
	d := relayOf(t, app, nil, nil)
	d.Workers, d.Grace, d.Priority = 1, time.Hour, dispatch.NewPriorityAt(200)
	for range 8 {
		defer d.Priority.Accepting()()
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				d.Priority.Accepting()()
			}
		}
	}()
	waitUntil(t, "the process is busy", func() bool { return d.Priority.Busy(time.Now()) })
	// A round just ran: the next waits for the next slot, with all
	// twelve queued by then unless recording them takes a second.
	dispatch.TakeSlot(d.Priority)
	var ids []any
	for i := range 12 {
		rec, err := d.Record(context.Background(), domain.Event{ID: domain.NewEventID(time.Now()), EventType: "2", EventObjectType: objectType,
			ObjectID: fmt.Sprintf("0_b%d", i), Object: []byte(`{"id":"0_b"}`), Source: "test", OccurredAt: time.Now()}, "", nil)
		if err != nil || rec.Queued {
			t.Fatalf("record: %+v %v", rec, err)
		}
		ids = append(ids, rec.Event.ID)
	}
	gatewaytest.WaitRequests(t, rc, 12)
	waitUntil(t, "the fast path is idle", func() bool { return dispatch.FastPathIdle(d) })
	q, args, _ := sqlx.In("SELECT COUNT(dispatched_at), COUNT(DISTINCT dispatched_at) FROM events WHERE id IN (?)", ids)
	var marked, rounds int
	if err := app.Store.DB().QueryRow(q, args...).Scan(&marked, &rounds); err != nil {
		t.Fatal(err)
	}
	if !d.Priority.Busy(time.Now()) || marked != 12 || rounds < 2 || d.Priority.Held() == 0 {
		t.Fatalf("busy %v: %d events marked dispatched in %d rounds (%d held), want 12 in 2 or more", d.Priority.Busy(time.Now()), marked, rounds, d.Priority.Held())
	}
}

// waitUntil polls cond until it holds, for at most 30 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s: %s", what)
		}
	}
}
