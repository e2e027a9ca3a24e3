package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"gatehouse/internal/domain"
	"gatehouse/internal/mailsink"
	"gatehouse/internal/mapping"
	"gatehouse/internal/testkit/fakeportal"
	"gatehouse/workflows"
)

// Options size the run.
type Options struct {
	Concurrency  int           `json:"concurrency"`  // callers in the closed-loop phases
	Duration     time.Duration `json:"duration"`     // load time of each phase
	Rounds       int           `json:"rounds"`       // every phase once per round
	Rates        []float64     `json:"rates"`        // open-loop event rates, events/s
	EmailRate    float64       `json:"emailRate"`    // registrations/s in the email latency phase
	DecisionRate float64       `json:"decisionRate"` // approvals/s in the portal decision phase
	Drain        time.Duration `json:"drain"`        // how long a phase's work may take to finish after its load
	Only         []string      `json:"only,omitempty"`
}

// Phase is one kind of load. Each phase runs once per round and drains its
// work before the next starts.
type Phase struct {
	Name string
	Unit string // what Units counts: the CPU figure is per one of these
	run  func(ctx context.Context, rnd int) (PhaseResult, error)
}

// PhaseResult is one run of a phase.
type PhaseResult struct {
	Name  string `json:"name"`
	Round int    `json:"round"`
	// Failed: the phase's work did not finish within the drain time (or
	// setup failed); it has no figures.
	Failed string `json:"failed,omitempty"`
	// Calls: the load generator's requests (POSTs, starts), their rate and
	// latency; Effect: end-to-end latency (event → receipt at the receiver,
	// decision → portal callback, webhook → email).
	Calls  *Figures `json:"calls,omitempty"`
	Effect *Figures `json:"effect,omitempty"`
	Trend  *Trend   `json:"trend,omitempty"`
	// Units of work done (delivered events, accepted registrations,
	// completed workflows) and their rate over load plus drain.
	Unit           string  `json:"unit"`
	Units          int     `json:"units"`
	UnitsPerSecond float64 `json:"unitsPerSecond"`
	// CPUmsPerUnit: Gatehouse + MariaDB CPU milliseconds per unit.
	CPUmsPerUnit      float64   `json:"cpuMsPerUnit"`
	StackCPUmsPerUnit float64   `json:"stackCpuMsPerUnit"`
	Resources         Resources `json:"resources"`
}

// bench holds what the phases share.
type bench struct {
	st    *Stack
	o     Options
	rc    *receiver
	fp    *fakeportal.Portal
	httpc *http.Client
	tag   string
	event string

	siteID                    string
	ingestPortal, apprPortal  string
	ingestSecret, apprSecret  string
	noopStarted, checkStarted atomic.Int64
	portalSeq                 atomic.Int64
	// deliveries: Delivery workflows the run has caused so far (one per
	// event and portal event: one channel matches each).
	deliveries atomic.Int64
}

const (
	benchKey      = "bench-registration-key-0123456789"
	portalToken   = "bench-portal-admin-token"
	approverEmail = "approver@bench.test"
)

func newBench(ctx context.Context, st *Stack, o Options) (*bench, error) {
	b := &bench{st: st, o: o, rc: newReceiver(), fp: fakeportal.Start(portalToken),
		httpc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second},
		tag:   strings.ToLower(rand.Text()[:6])}
	b.event = "BenchEvent" + b.tag
	b.siteID = "bench-" + b.tag
	b.ingestPortal, b.apprPortal = "bench-in-"+b.tag, "bench-ap-"+b.tag
	steps := []func() error{
		func() error {
			return b.admin(ctx, "POST", "/api/v1/channels", map[string]any{"name": "bench", "targetUrl": b.rc.URL,
				"events": []string{b.event, "AccessRequestCreated"}}, http.StatusCreated, nil)
		},
		func() error {
			return b.admin(ctx, "PUT", "/api/v1/sites/"+b.siteID, map[string]any{"name": "Bench", "eventName": "Bench Summit",
				"webhooksiteregistration": map[string]any{"enabled": true, "registrationKey": benchKey}}, http.StatusCreated, nil)
		},
		func() (err error) { b.ingestSecret, err = b.putPortal(ctx, b.ingestPortal, nil); return err },
		func() (err error) {
			b.apprSecret, err = b.putPortal(ctx, b.apprPortal, map[string]any{
				"accessRequest": map[string]any{"approvers": map[string]any{"emails": []string{approverEmail}}}})
			return err
		},
	}
	for _, s := range steps {
		if err := s(); err != nil {
			b.close()
			return nil, err
		}
	}
	return b, nil
}

func (b *bench) close() {
	b.rc.Close()
	b.fp.Close()
}

func (b *bench) putPortal(ctx context.Context, id string, approvals map[string]any) (string, error) {
	p := map[string]any{"name": "Bench " + id, "baseUrl": b.fp.BaseURL(), "adminToken": portalToken,
		"allowedAddresses": []string{"127.0.0.1/32"}}
	if approvals != nil {
		p["approvals"] = approvals
	}
	if err := b.admin(ctx, "PUT", "/api/v1/portals/"+id, p, http.StatusCreated, nil); err != nil {
		return "", err
	}
	var s struct {
		InboundSecret string `json:"inboundSecret"`
	}
	err := b.admin(ctx, "POST", "/api/v1/portals/"+id+"/inbound-secret", nil, http.StatusOK, &s)
	return s.InboundSecret, err
}

// admin calls the admin API and wants status; out (if set) gets the answer.
func (b *bench) admin(ctx context.Context, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequestWithContext(ctx, method, b.st.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+b.st.Config.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := b.httpc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, rb)
	}
	if out != nil {
		return json.Unmarshal(rb, out)
	}
	return nil
}

// postEvent sends one event whose object id is id: the receiver reads it
// back from the callback.
func (b *bench) postEvent(ctx context.Context, id string) error {
	body, _ := json.Marshal(map[string]any{"eventType": b.event, "eventObjectType": "bench", "objectId": id, "object": map[string]any{"id": id}})
	req, _ := http.NewRequestWithContext(ctx, "POST", b.st.URL+"/api/v1/events", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+b.st.Config.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	err := call(b.httpc, req, http.StatusAccepted)
	if err == nil {
		b.deliveries.Add(1)
	}
	return err
}

// postPortal sends one portal webhook.
func (b *bench) postPortal(ctx context.Context, portalID, secret, event string, msg map[string]any) error {
	body, _ := json.Marshal(map[string]any{"Event": event, "Message": msg, "Timestamp": time.Now().Format(time.RFC3339Nano)})
	req, _ := http.NewRequestWithContext(ctx, "POST", b.st.URL+"/webhooks/portal/"+portalID, bytes.NewReader(body))
	req.Header.Set("X-Gatehouse-Secret", secret)
	req.Header.Set("Content-Type", "application/json")
	err := call(b.httpc, req, http.StatusAccepted)
	if err == nil && event == "AccessRequestCreated" {
		b.deliveries.Add(1) // the bench channel subscribes to it
	}
	return err
}

// keys collects the ids a phase posted successfully, to wait for.
type keys struct {
	mu sync.Mutex
	l  []string
}

func (k *keys) add(s string) { k.mu.Lock(); k.l = append(k.l, s); k.mu.Unlock() }

func (k *keys) list() []string { k.mu.Lock(); defer k.mu.Unlock(); return k.l }

// phases are all phases in their forward order.
func (b *bench) phases() []Phase {
	ps := []Phase{
		{"engine-start", "workflow", b.engineStart},
		{"engine-one-activity", "workflow", b.engineOneActivity},
		{"events-ingest", "delivered event", b.eventsIngest},
		{"deliveries-closed-loop", "delivered event", b.deliveriesClosedLoop},
	}
	// The engine alone at the highest event rate: whether a workflow that
	// does nothing can be sustained there, beside whether a delivery can.
	if len(b.o.Rates) > 0 {
		top := slices.Max(b.o.Rates)
		ps = append(ps, Phase{fmt.Sprintf("engine-at-%g", top), "workflow", func(ctx context.Context, rnd int) (PhaseResult, error) {
			return b.engineAtRate(ctx, rnd, top)
		}})
	}
	for _, r := range b.o.Rates {
		ps = append(ps, Phase{fmt.Sprintf("events-at-%g", r), "delivered event", func(ctx context.Context, rnd int) (PhaseResult, error) {
			return b.eventsAtRate(ctx, rnd, r)
		}})
	}
	return append(ps,
		Phase{"registration-webhook", "registration", b.registrationWebhook},
		Phase{"registration-direct", "registration", b.registrationDirect},
		Phase{"registration-email", "registration", b.registrationEmail},
		Phase{"portal-ingest", "portal event", b.portalIngest},
		Phase{"portal-decision", "approval", b.portalDecision},
	)
}

// engineStart: bare StartWorkflow of Noop from the load generator's
// client; the rate is of the starts, the CPU per workflow (started and
// completed in its first task) is the engine floor.
func (b *bench) engineStart(ctx context.Context, rnd int) (PhaseResult, error) {
	f := closedLoop(ctx, b.o.Concurrency, b.o.Duration, func(ctx context.Context, i int) error {
		_, err := b.st.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: fmt.Sprintf("bench-noop-%s-%d-%d", b.tag, rnd, i), TaskQueue: EngineQueue,
		}, Noop)
		if err == nil {
			b.noopStarted.Add(1)
		}
		return err
	})
	// The rate is of the starts; the drain (every Noop closed in
	// visibility) only keeps the phase's CPU with the phase.
	r := PhaseResult{Calls: &f, Units: f.Requests, UnitsPerSecond: f.PerSecond}
	return r, b.waitCount(ctx, "WorkflowType = 'Noop' AND ExecutionStatus = 'Completed'", b.noopStarted.Load())
}

// engineAtRate: Noop started at a fixed rate from the load generator,
// each start → its completion (run.Get) as an event's is post → callback:
// the engine's own answer to "can this rate be sustained here".
func (b *bench) engineAtRate(ctx context.Context, rnd int, rate float64) (PhaseResult, error) {
	r, errs, missing := b.atRate(ctx, rate, func(ctx context.Context, i int) (func(context.Context) (time.Time, error), error) {
		run, err := b.st.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: fmt.Sprintf("bench-noop%g-%s-%d-%d", rate, b.tag, rnd, i), TaskQueue: EngineQueue,
		}, Noop)
		if err != nil {
			return nil, err
		}
		b.noopStarted.Add(1)
		return func(ctx context.Context) (time.Time, error) {
			err := run.Get(ctx, nil)
			return time.Now(), err
		}, nil
	})
	if errs+missing > 0 {
		return r, fmt.Errorf("%d workflows were not started or did not complete within %s of the phase's end", errs+missing, b.o.Drain)
	}
	return r, b.waitCount(ctx, "WorkflowType = 'Noop' AND ExecutionStatus = 'Completed'", b.noopStarted.Load())
}

// atRate runs an open loop at rate: start does the call (timed as the
// phase's calls) and returns how to wait for its effect, which is timed
// from the call's start (the effect p50/p99 and the backlog trend). errs
// counts the calls that failed, missing the effects that did not come
// within the phase's drain.
func (b *bench) atRate(ctx context.Context, rate float64, start func(ctx context.Context, i int) (wait func(context.Context) (time.Time, error), err error)) (r PhaseResult, errs, missing int) {
	var (
		mu      sync.Mutex
		samples []sample
		calls   []time.Duration
	)
	deadline := time.Now().Add(b.o.Duration + b.o.Drain)
	sent := openLoop(ctx, rate, b.o.Duration, func(i int, at time.Time) {
		t0 := time.Now()
		wait, err := start(ctx, i)
		took := time.Since(t0)
		if err != nil {
			mu.Lock()
			errs++
			mu.Unlock()
			return
		}
		wctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		got, err := wait(wctx)
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, took)
		if err != nil {
			missing++
			return
		}
		samples = append(samples, sample{sent: at, latency: got.Sub(t0)})
	})
	lat := make([]time.Duration, len(samples))
	for i, s := range samples {
		lat[i] = s.latency
	}
	c := summarize(calls, errs, b.o.Duration)
	c.RatePerSec = rate
	c.PerSecond = round(float64(sent) / b.o.Duration.Seconds())
	e := summarize(lat, missing, b.o.Duration)
	e.RatePerSec = rate
	tr := trend(samples, errs+missing)
	return PhaseResult{Calls: &c, Effect: &e, Trend: &tr, Units: len(samples), UnitsPerSecond: e.PerSecond}, errs, missing
}

// engineOneActivity: SelfCheck (one store activity) on Gatehouse's own
// worker, in a closed loop: each caller starts one and waits for its
// result, as deliveries-closed-loop waits for its callback. The rate is
// completions per second.
func (b *bench) engineOneActivity(ctx context.Context, rnd int) (PhaseResult, error) {
	f := closedLoop(ctx, b.o.Concurrency, b.o.Duration, func(ctx context.Context, i int) error {
		run, err := b.st.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: workflows.SelfCheckID(fmt.Sprintf("bench-%s-%d-%d", b.tag, rnd, i)), TaskQueue: b.st.Config.Temporal.TaskQueue,
		}, workflows.SelfCheck, workflows.SelfCheckInput{})
		if err != nil {
			return err
		}
		b.checkStarted.Add(1)
		wctx, cancel := context.WithTimeout(ctx, b.o.Drain)
		defer cancel()
		return run.Get(wctx, nil)
	})
	r := PhaseResult{Calls: &f, Units: f.Requests, UnitsPerSecond: f.PerSecond}
	if f.Errors > 0 {
		return r, fmt.Errorf("%d of %d workflows failed or did not complete within %s", f.Errors, f.Errors+f.Requests, b.o.Drain)
	}
	// Visibility is written last: the phase's work has left the server.
	return r, b.waitCount(ctx, "WorkflowType = 'SelfCheck' AND ExecutionStatus = 'Completed'", b.checkStarted.Load())
}

// eventsIngest: POST /api/v1/events from the closed loop's callers (the
// accept rate and POST latency), then every event's callback.
func (b *bench) eventsIngest(ctx context.Context, rnd int) (PhaseResult, error) {
	t0 := time.Now()
	var ks keys
	f := closedLoop(ctx, b.o.Concurrency, b.o.Duration, func(ctx context.Context, i int) error {
		id := fmt.Sprintf("ingest-%s-%d-%d", b.tag, rnd, i)
		err := b.postEvent(ctx, id)
		if err == nil {
			ks.add(id)
		}
		return err
	})
	r := PhaseResult{Calls: &f}
	err := b.rc.waitAll(ctx, ks.list(), time.Now().Add(b.o.Drain))
	r.Units = len(ks.list())
	r.UnitsPerSecond = round2(r.Units, time.Since(t0))
	if err != nil {
		return r, err
	}
	return r, b.drainDeliveries(ctx)
}

// deliveriesClosedLoop: each caller posts an event and waits for its
// callback before the next: sustained deliveries per second.
func (b *bench) deliveriesClosedLoop(ctx context.Context, rnd int) (PhaseResult, error) {
	var (
		mu  sync.Mutex
		lat []time.Duration
	)
	f := closedLoop(ctx, b.o.Concurrency, b.o.Duration, func(ctx context.Context, i int) error {
		id := fmt.Sprintf("loop-%s-%d-%d", b.tag, rnd, i)
		t0 := time.Now()
		if err := b.postEvent(ctx, id); err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, b.o.Drain)
		defer cancel()
		at, err := b.rc.wait(wctx, id)
		if err == nil {
			mu.Lock()
			lat = append(lat, at.Sub(t0))
			mu.Unlock()
		}
		return err
	})
	e := summarize(lat, f.Errors, time.Duration(f.Seconds*float64(time.Second)))
	r := PhaseResult{Effect: &e, Units: f.Requests, UnitsPerSecond: f.PerSecond}
	if f.Errors > 0 {
		return r, fmt.Errorf("%d of %d events failed or had no callback within %s", f.Errors, f.Errors+f.Requests, b.o.Drain)
	}
	return r, b.drainDeliveries(ctx)
}

// eventsAtRate: events at a fixed rate (open loop); event → first attempt
// at the receiver, and whether the latency grows over the phase.
func (b *bench) eventsAtRate(ctx context.Context, rnd int, rate float64) (PhaseResult, error) {
	r, _, missing := b.atRate(ctx, rate, func(ctx context.Context, i int) (func(context.Context) (time.Time, error), error) {
		id := fmt.Sprintf("rate%g-%s-%d-%d", rate, b.tag, rnd, i)
		if err := b.postEvent(ctx, id); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (time.Time, error) { return b.rc.wait(ctx, id) }, nil
	})
	if missing > 0 {
		return r, fmt.Errorf("%d of %d accepted events had no callback within %s of the phase's end", missing, r.Calls.Requests, b.o.Drain)
	}
	return r, b.drainDeliveries(ctx)
}

func (b *bench) postRegistration(ctx context.Context, addr string) error {
	body := url.Values{"registrationKey": {benchKey}, "email": {addr}, "firstName": {"Bench"}, "lastName": {"Mark"}}.Encode()
	req, _ := http.NewRequestWithContext(ctx, "POST", b.st.URL+"/webhooks/registration/"+b.siteID, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return call(b.httpc, req, http.StatusAccepted)
}

// registrations runs one closed loop of registering calls, then waits until
// every registrant's email went out and its workflow is waiting.
func (b *bench) registrations(ctx context.Context, name string, register func(ctx context.Context, addr string) error) (PhaseResult, error) {
	t0 := time.Now()
	before := b.st.Sink.Received()
	f := closedLoop(ctx, b.o.Concurrency, b.o.Duration, func(ctx context.Context, i int) error {
		return register(ctx, fmt.Sprintf("%s-%d-%s@bench.test", name, i, b.tag))
	})
	r := PhaseResult{Calls: &f, Units: f.Requests}
	err := b.waitMails(ctx, before+f.Requests)
	if err == nil {
		err = b.waitNone(ctx, "WorkflowType = 'Registration' AND GatehouseStatus = 'received'")
	}
	r.UnitsPerSecond = round2(r.Units, time.Since(t0))
	return r, err
}

// registrationWebhook: POST /webhooks/registration/{siteId}.
func (b *bench) registrationWebhook(ctx context.Context, rnd int) (PhaseResult, error) {
	return b.registrations(ctx, fmt.Sprintf("webhook-%d", rnd), b.postRegistration)
}

// registrationDirect: the webhook's SignalWithStart (same workflow, options
// and data) sent straight to Temporal: webhook/direct is what the gateway
// costs.
func (b *bench) registrationDirect(ctx context.Context, rnd int) (PhaseResult, error) {
	stored, _, err := b.st.Store.GetSite(ctx, b.siteID)
	if err != nil {
		return PhaseResult{}, err
	}
	cfg := b.st.Config
	return b.registrations(ctx, fmt.Sprintf("direct-%d", rnd), func(ctx context.Context, addr string) error {
		reg := mapping.Apply(&stored, mapping.Fields{"email": addr, "firstName": "Bench", "lastName": "Mark"})
		in := workflows.RegistrationInput{SiteID: b.siteID, UserID: mapping.UserID(b.siteID, reg.Email), Email: reg.Email}
		opts := workflows.RegistrationStartOptions(cfg.Temporal.TaskQueue, in, cfg.IndexEmail)
		_, err := b.st.Temporal.SignalWithStartWorkflow(ctx, opts.ID, workflows.RegistrationSubmitSignal, workflows.Submission{
			RequestID: addr, ReceivedAt: time.Now().UTC(), Action: domain.ActionRegister, Registrant: reg, Source: "webhook",
		}, opts, workflows.Registration, in)
		return err
	})
}

// registrationEmail: webhook → set-password email accepted by SMTP, at a
// fixed rate.
func (b *bench) registrationEmail(ctx context.Context, rnd int) (PhaseResult, error) {
	var (
		mu   sync.Mutex
		lat  []time.Duration
		errs int
	)
	deadline := time.Now().Add(b.o.Duration + b.o.Drain)
	openLoop(ctx, b.o.EmailRate, b.o.Duration, func(i int, _ time.Time) {
		addr := fmt.Sprintf("mail-%d-%d-%s@bench.test", rnd, i, b.tag)
		t0 := time.Now()
		err := b.postRegistration(ctx, addr)
		var m mailsink.Message
		if err == nil {
			wctx, cancel := context.WithDeadline(ctx, deadline)
			m, err = b.st.Sink.Wait(wctx, mailsink.To(addr))
			cancel()
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs++
			return
		}
		lat = append(lat, m.ReceivedAt.Sub(t0))
	})
	e := summarize(lat, errs, b.o.Duration)
	e.RatePerSec = b.o.EmailRate
	r := PhaseResult{Effect: &e, Units: len(lat), UnitsPerSecond: e.PerSecond}
	if errs > 0 {
		return r, fmt.Errorf("%d registrations failed or had no email within %s", errs, b.o.Drain)
	}
	return r, b.waitNone(ctx, "WorkflowType = 'Registration' AND GatehouseStatus = 'received'")
}

// portalIngest: POST /webhooks/portal/{portalId} (AccessRequestCreated,
// already approved: forwarded to the channel, no approval), then every
// event's callback.
func (b *bench) portalIngest(ctx context.Context, _ int) (PhaseResult, error) {
	t0 := time.Now()
	var ks keys
	f := closedLoop(ctx, b.o.Concurrency, b.o.Duration, func(ctx context.Context, _ int) error {
		id := 10_000_000 + b.portalSeq.Add(1)
		err := b.postPortal(ctx, b.ingestPortal, b.ingestSecret, "AccessRequestCreated", map[string]any{
			"ID": id, "AppID": 1, "ByUser": 2, "Status": "approved", "ProductIDs": []int{1}, "PlanID": 2,
			"CreatedAt": time.Now().UTC().Format(time.RFC3339)})
		if err == nil {
			ks.add(fmt.Sprint("portal:", id))
		}
		return err
	})
	r := PhaseResult{Calls: &f}
	err := b.rc.waitAll(ctx, ks.list(), time.Now().Add(b.o.Drain))
	r.Units = len(ks.list())
	r.UnitsPerSecond = round2(r.Units, time.Since(t0))
	if err != nil {
		return r, err
	}
	return r, b.drainDeliveries(ctx)
}

// portalDecision: at a fixed rate, a pending access request arrives from
// the portal, waits as an approval, and is approved through the API; the
// figure is decision → the portal's PUT .../approve at the fake portal.
func (b *bench) portalDecision(ctx context.Context, _ int) (PhaseResult, error) {
	var (
		mu       sync.Mutex
		lat      []time.Duration
		failures []error
	)
	deadline := time.Now().Add(b.o.Duration + b.o.Drain)
	sent := openLoop(ctx, b.o.DecisionRate, b.o.Duration, func(int, time.Time) {
		dctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		l, err := b.decideOne(dctx)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failures = append(failures, err)
			return
		}
		lat = append(lat, l)
	})
	e := summarize(lat, len(failures), b.o.Duration)
	e.RatePerSec = b.o.DecisionRate
	r := PhaseResult{Effect: &e, Units: len(lat), UnitsPerSecond: e.PerSecond}
	if len(failures) > 0 {
		return r, fmt.Errorf("%d of %d approvals failed, first: %w", len(failures), sent, failures[0])
	}
	if err := b.waitNone(ctx, "WorkflowType = 'Approval' AND ExecutionStatus = 'Running'"); err != nil {
		return r, err
	}
	return r, b.drainDeliveries(ctx)
}

func (b *bench) decideOne(ctx context.Context) (time.Duration, error) {
	arID := b.fp.AddAccessRequest(fakeportal.AccessRequest{AppID: 7, Status: "pending"})
	if err := b.postPortal(ctx, b.apprPortal, b.apprSecret, "AccessRequestCreated", map[string]any{
		"ID": arID, "AppID": 7, "ByUser": 3, "Status": "pending", "PlanID": 2}); err != nil {
		return 0, fmt.Errorf("portal webhook: %w", err)
	}
	id := fmt.Sprintf("Approval:%s:accessRequest:%d", b.apprPortal, arID)
	for {
		var a struct {
			Approval struct {
				Status string `json:"status"`
			} `json:"approval"`
		}
		err := b.admin(ctx, "GET", "/api/v1/approvals/"+url.PathEscape(id), nil, http.StatusOK, &a)
		if err == nil && a.Approval.Status == "pending" {
			break
		}
		if ctx.Err() != nil {
			return 0, fmt.Errorf("approval %s not pending (last: %v %q)", id, err, a.Approval.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t0 := time.Now()
	if err := b.admin(ctx, "POST", "/api/v1/approvals/"+url.PathEscape(id)+"/approve",
		map[string]any{"byUser": approverEmail, "reason": "bench"}, http.StatusOK, nil); err != nil {
		return 0, err
	}
	path := fmt.Sprintf("%s/access_requests/%d/approve", fakeportal.APIPrefix, arID)
	for {
		for _, rq := range b.fp.Requests() {
			if rq.Method == http.MethodPut && rq.Path == path {
				return rq.At.Sub(t0), nil
			}
		}
		if ctx.Err() != nil {
			return 0, fmt.Errorf("no portal callback for %s", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitCount waits until at least want workflows match query in visibility
// (written last: the work has then left the server's queues).
func (b *bench) waitCount(ctx context.Context, query string, want int64) error {
	deadline := time.Now().Add(b.o.Drain)
	var have int64 = -1
	for time.Now().Before(deadline) && ctx.Err() == nil {
		res, err := b.st.Temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: b.st.Config.Temporal.Namespace, Query: query,
		})
		if err == nil {
			if have = res.GetCount(); have >= want {
				return nil
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("%s: %d of %d after %s", query, have, want, b.o.Drain)
}

// drainDeliveries waits until every Delivery workflow the run caused has
// completed (visibility has its close) and none runs: a callback arrives
// before its workflow's closing task, which belongs to the same phase.
func (b *bench) drainDeliveries(ctx context.Context) error {
	if err := b.waitCount(ctx, "WorkflowType = 'Delivery' AND ExecutionStatus = 'Completed'", b.deliveries.Load()); err != nil {
		return err
	}
	return b.waitNone(ctx, "WorkflowType = 'Delivery' AND ExecutionStatus = 'Running'")
}

// waitNone waits until no workflow matches query.
func (b *bench) waitNone(ctx context.Context, query string) error {
	deadline := time.Now().Add(b.o.Drain)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		res, err := b.st.Temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: b.st.Config.Temporal.Namespace, Query: query,
		})
		if err == nil && res.GetCount() == 0 {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("%s: still matching after %s", query, b.o.Drain)
}

func (b *bench) waitMails(ctx context.Context, n int) error {
	deadline := time.Now().Add(b.o.Drain)
	for b.st.Sink.Received() < n {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%d of %d emails after %s", b.st.Sink.Received(), n, b.o.Drain)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

func round2(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return round(float64(n) / d.Seconds())
}
