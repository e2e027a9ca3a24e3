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
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"gatehouse/internal/devstack"
	"gatehouse/internal/domain"
	"gatehouse/internal/mailsink"
	"gatehouse/internal/mapping"
	"gatehouse/workflows"
)

// RegistrationReport is the registration part of a report.
type RegistrationReport struct {
	// Engine phases bracket the webhook phases (E W E W ... E), so drift
	// during the run (a growing SQLite file, a busy neighbour) hits both.
	Engine  []Figures `json:"engineExecuteWorkflow"`
	Webhook []Figures `json:"webhookAccepted"`
	// Direct: the webhook's SignalWithStart (same workflow, options and
	// data) sent straight to Temporal after each webhook phase: the engine's
	// limit for a registration, so webhook/direct is what the gateway costs.
	Direct []Figures `json:"directSignalWithStart"`
	// RoundRatios: each webhook phase against the mean of its two
	// neighbouring engine phases; Ratio: the same over all rounds.
	RoundRatios    []float64 `json:"roundRatios"`
	Ratio          float64   `json:"ratioWebhookToEngine"`
	RatioDirect    float64   `json:"ratioWebhookToDirect"`
	WebhookToEmail Figures   `json:"webhookToSetPasswordEmail"`
}

// Options size the phases.
type Options struct {
	Concurrency int
	Duration    time.Duration
	Rounds      int // webhook phases in the registration part
	EmailRate   float64
	EmailFor    time.Duration
}

const benchKey = "bench-registration-key-0123456789"

// Registration measures webhook acceptance against bare ExecuteWorkflow
// (the engine's limit) in alternating phases, and the latency from webhook
// to the set-password email accepted by SMTP.
func Registration(ctx context.Context, st *devstack.Stack, o Options) (RegistrationReport, error) {
	var rep RegistrationReport
	siteID := "bench-" + strings.ToLower(rand.Text()[:6])
	if err := putSite(st, siteID); err != nil {
		return rep, err
	}
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency * 2}, Timeout: 30 * time.Second}
	// The engine phase's SelfCheck workflows run to completion before the
	// next phase, as the registrations' emails do.
	engine := func(round int) Figures {
		name := fmt.Sprintf("engine-%d", round)
		f := closedLoop(ctx, name, o.Concurrency, o.Duration, func(ctx context.Context, i int) error {
			_, err := st.App.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID: workflows.SelfCheckID(fmt.Sprintf("bench-%s-%s-%d", siteID, name, i)), TaskQueue: st.Config.Temporal.TaskQueue,
			}, workflows.SelfCheck, workflows.SelfCheckInput{})
			return err
		})
		waitSelfChecksDone(ctx, st)
		return f
	}
	post := func(ctx context.Context, addr string) error {
		body := url.Values{"registrationKey": {benchKey}, "email": {addr}, "firstName": {"Bench"}, "lastName": {"Mark"}}.Encode()
		req, _ := http.NewRequestWithContext(ctx, "POST", st.URL+"/webhooks/registration/"+siteID, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return call(httpc, req, http.StatusAccepted)
	}
	// registrations runs one phase of registering calls, then waits until
	// every registrant's email went out and its workflow is waiting.
	registrations := func(name string, register func(ctx context.Context, addr string) error) Figures {
		before := st.Sink.Received()
		f := closedLoop(ctx, name, o.Concurrency, o.Duration, func(ctx context.Context, i int) error {
			return register(ctx, fmt.Sprintf("%s-%d-%s@bench.test", name, i, siteID))
		})
		waitMails(ctx, st.Sink, before+f.Requests, 5*time.Minute)
		waitCount(ctx, st, "WorkflowType = 'Registration' AND GatehouseStatus = 'received'")
		return f
	}
	stored, _, err := st.App.Store.GetSite(ctx, siteID)
	if err != nil {
		return rep, err
	}
	// direct is what the gateway sends Temporal for a webhook, sent by hand.
	direct := func(ctx context.Context, addr string) error {
		r := mapping.Apply(&stored, mapping.Fields{"email": addr, "firstName": "Bench", "lastName": "Mark"})
		in := workflows.RegistrationInput{SiteID: siteID, UserID: mapping.UserID(siteID, r.Email), Email: r.Email}
		opts := workflows.RegistrationStartOptions(st.Config.Temporal.TaskQueue, in, st.Config.IndexEmail)
		_, err := st.App.Temporal.SignalWithStartWorkflow(ctx, opts.ID, workflows.RegistrationSubmitSignal, workflows.Submission{
			RequestID: addr, ReceivedAt: time.Now().UTC(), Action: domain.ActionRegister, Registrant: r, Source: "webhook",
		}, opts, workflows.Registration, in)
		return err
	}

	rounds := max(o.Rounds, 1)
	rep.Engine = append(rep.Engine, engine(0))
	var webhookSum, baselineSum float64
	for r := 1; r <= rounds; r++ {
		rep.Webhook = append(rep.Webhook, registrations(fmt.Sprintf("webhook-%d", r), post))
		rep.Direct = append(rep.Direct, registrations(fmt.Sprintf("direct-%d", r), direct))
		rep.Engine = append(rep.Engine, engine(r))
		w := rep.Webhook[r-1].PerSecond
		baseline := (rep.Engine[r-1].PerSecond + rep.Engine[r].PerSecond) / 2
		webhookSum, baselineSum = webhookSum+w, baselineSum+baseline
		if baseline > 0 {
			rep.RoundRatios = append(rep.RoundRatios, round(w/baseline))
		}
	}
	if baselineSum > 0 {
		rep.Ratio = round(webhookSum / baselineSum)
	}
	var directSum float64
	for _, f := range rep.Direct {
		directSum += f.PerSecond
	}
	if directSum > 0 {
		rep.RatioDirect = round(webhookSum / directSum)
	}

	// Webhook to email at a fixed rate well below saturation.
	rep.WebhookToEmail = latencyLoop(ctx, "webhook-to-email", o.EmailRate, o.EmailFor, func(i int) (time.Duration, error) {
		addr := fmt.Sprintf("mail-%d-%s@bench.test", i, siteID)
		t0 := time.Now()
		if err := post(ctx, addr); err != nil {
			return 0, err
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		m, err := st.Sink.Wait(wctx, mailsink.To(addr))
		return m.ReceivedAt.Sub(t0), err
	})
	return rep, nil
}

func putSite(st *devstack.Stack, siteID string) error {
	body, _ := json.Marshal(map[string]any{"name": "Bench", "eventName": "Bench Summit",
		"webhooksiteregistration": map[string]any{"enabled": true, "registrationKey": benchKey}})
	req, _ := http.NewRequest("PUT", st.URL+"/api/v1/sites/"+siteID, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+st.Config.AdminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(res.Body)
		return fmt.Errorf("create site: %d %s", res.StatusCode, b)
	}
	return nil
}

func waitSelfChecksDone(ctx context.Context, st *devstack.Stack) {
	waitCount(ctx, st, "WorkflowType = 'SelfCheck' AND ExecutionStatus = 'Running'")
}

// waitCount waits until no workflow matches query in visibility, which is
// written last: the phase's work has then left the server's queues.
func waitCount(ctx context.Context, st *devstack.Stack, query string) {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		res, err := st.App.Temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: st.Config.Temporal.Namespace, Query: query,
		})
		if err == nil && res.GetCount() == 0 {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func waitMails(ctx context.Context, sink *mailsink.Sink, n int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for sink.Received() < n && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
	}
}
