package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	"gatehouse/internal/devstack"
	"gatehouse/workflows"
)

// DeliveryReport is the outbound part of a report.
type DeliveryReport struct {
	Engine       Figures `json:"engineOneActivityWorkflowCompletions"`
	Deliveries   Figures `json:"eventsToDeliveredCallbacks"`
	Ratio        float64 `json:"ratioDeliveriesToEngine"`
	FirstAttempt Figures `json:"eventToFirstAttempt"`
}

// receiver is the local far side: it answers 200 and notes when each
// object's callback arrived.
type receiver struct {
	*httptest.Server
	count   atomic.Int64
	mu      sync.Mutex
	arrived map[string]time.Time
}

func newReceiver() *receiver {
	rc := &receiver{arrived: map[string]time.Time{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Message struct {
				ID string `json:"id"`
			} `json:"Message"`
		}
		json.NewDecoder(r.Body).Decode(&p) //nolint:errcheck
		now := time.Now()
		rc.mu.Lock()
		rc.arrived[p.Message.ID] = now
		rc.mu.Unlock()
		rc.count.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	return rc
}

func (rc *receiver) at(id string) (time.Time, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	t, ok := rc.arrived[id]
	return t, ok
}

// Deliveries measures, in one run on one server: the completion rate of a
// bare one-activity workflow (the engine's limit), events turned into
// delivered callbacks per second, and event-to-first-attempt latency at a
// fixed rate.
func Deliveries(ctx context.Context, st *devstack.Stack, o Options) (DeliveryReport, error) {
	var rep DeliveryReport
	rc := newReceiver()
	defer rc.Close()
	tag := strings.ToLower(rand.Text()[:6])
	event := "BenchEvent" + tag
	if err := adminJSON(st, "POST", "/api/v1/channels", map[string]any{"name": "bench", "targetUrl": rc.URL, "events": []string{event}}, http.StatusCreated); err != nil {
		return rep, err
	}
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency * 2}, Timeout: 30 * time.Second}
	post := func(ctx context.Context, id string) error {
		body, _ := json.Marshal(map[string]any{"eventType": event, "eventObjectType": "bench", "objectId": id, "object": map[string]any{"id": id}})
		req, _ := http.NewRequestWithContext(ctx, "POST", st.URL+"/api/v1/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+st.Config.AdminToken)
		req.Header.Set("Content-Type", "application/json")
		return call(httpc, req, http.StatusAccepted)
	}

	// Engine: start SelfCheck workflows for the phase, then wait until all
	// have completed; the rate counts completions over the whole time.
	start := time.Now()
	eng := closedLoop(ctx, "engine-one-activity-workflow", o.Concurrency, o.Duration, func(ctx context.Context, i int) error {
		_, err := st.App.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: workflows.SelfCheckID(fmt.Sprintf("bench-delivery-%s-%d", tag, i)), TaskQueue: st.Config.Temporal.TaskQueue,
		}, workflows.SelfCheck, workflows.SelfCheckInput{})
		return err
	})
	waitSelfChecksDone(ctx, st)
	eng.Seconds = round(time.Since(start).Seconds())
	eng.PerSecond = round(float64(eng.Requests) / eng.Seconds)
	rep.Engine = eng

	// Deliveries: events in at full speed, callbacks counted at the receiver
	// until every accepted event's callback has arrived.
	start = time.Now()
	before := rc.count.Load()
	del := closedLoop(ctx, "events-to-delivered-callbacks", o.Concurrency, o.Duration, func(ctx context.Context, i int) error {
		return post(ctx, fmt.Sprintf("load-%s-%d", tag, i))
	})
	want := before + int64(del.Requests)
	deadline := time.Now().Add(5 * time.Minute)
	for rc.count.Load() < want && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	delivered := rc.count.Load() - before
	del.Seconds = round(time.Since(start).Seconds())
	del.PerSecond = round(float64(delivered) / del.Seconds)
	rep.Deliveries = del
	if rep.Engine.PerSecond > 0 {
		rep.Ratio = round(rep.Deliveries.PerSecond / rep.Engine.PerSecond)
	}

	// First attempt latency at a fixed rate well below saturation.
	rep.FirstAttempt = latencyLoop(ctx, "event-to-first-attempt", o.EmailRate, o.EmailFor, func(i int) (time.Duration, error) {
		id := fmt.Sprintf("lat-%s-%d", tag, i)
		t0 := time.Now()
		if err := post(ctx, id); err != nil {
			return 0, err
		}
		for time.Since(t0) < 30*time.Second {
			if at, ok := rc.at(id); ok {
				return at.Sub(t0), nil
			}
			time.Sleep(2 * time.Millisecond)
		}
		return 0, fmt.Errorf("no callback for %s", id)
	})
	return rep, nil
}

func adminJSON(st *devstack.Stack, method, path string, body any, want int) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, st.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+st.Config.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != want {
		rb, _ := io.ReadAll(res.Body)
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, rb)
	}
	return nil
}
