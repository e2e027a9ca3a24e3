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
	"gatehouse/internal/mailsink"
	"gatehouse/workflows"
)

// RegistrationReport is the registration part of a report.
type RegistrationReport struct {
	EngineBefore   Figures `json:"engineExecuteWorkflowBefore"`
	Webhook        Figures `json:"webhookAccepted"`
	EngineAfter    Figures `json:"engineExecuteWorkflowAfter"`
	Ratio          float64 `json:"ratioWebhookToEngine"`
	WebhookToEmail Figures `json:"webhookToSetPasswordEmail"`
}

// Options size the phases.
type Options struct {
	Concurrency int
	Duration    time.Duration
	EmailRate   float64
	EmailFor    time.Duration
}

const benchKey = "bench-registration-key-0123456789"

// Registration measures webhook acceptance against bare ExecuteWorkflow
// (before and after, averaged as the engine's limit) and the latency from
// webhook to the set-password email accepted by SMTP.
func Registration(ctx context.Context, st *devstack.Stack, o Options) (RegistrationReport, error) {
	var rep RegistrationReport
	siteID := "bench-" + strings.ToLower(rand.Text()[:6])
	if err := putSite(st, siteID); err != nil {
		return rep, err
	}
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency * 2}, Timeout: 30 * time.Second}
	engine := func(name string) Figures {
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

	rep.EngineBefore = engine("engine-before")
	before := st.Sink.Received()
	rep.Webhook = closedLoop(ctx, "webhook", o.Concurrency, o.Duration, func(ctx context.Context, i int) error {
		return post(ctx, fmt.Sprintf("load-%d-%s@bench.test", i, siteID))
	})
	// Let the registrations' emails drain before the next phase.
	waitMails(ctx, st.Sink, before+rep.Webhook.Requests, 5*time.Minute)
	rep.EngineAfter = engine("engine-after")
	baseline := (rep.EngineBefore.PerSecond + rep.EngineAfter.PerSecond) / 2
	if baseline > 0 {
		rep.Ratio = round(rep.Webhook.PerSecond / baseline)
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
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		res, err := st.App.Temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: st.Config.Temporal.Namespace, Query: "WorkflowType = 'SelfCheck' AND ExecutionStatus = 'Running'",
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
