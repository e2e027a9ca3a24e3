package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"gatehouse/internal/mailsink"
)

// prober measures recovery: a probe round sends one registration (to the
// probe site) and one event (matched only by the probe channel, whose
// receiver path never fails) through one gateway, and completes when the
// set-password email and the delivered callback have both arrived.
type prober struct {
	st     *stack
	tag    string
	seq    atomic.Int64
	client *http.Client
}

func newProber(st *stack, tag string) *prober {
	return &prober{st: st, tag: tag, client: &http.Client{Timeout: 5 * time.Second}}
}

// round runs one probe end to end; it returns when both effects arrived.
func (p *prober) round(ctx context.Context) (time.Time, error) {
	n := p.seq.Add(1)
	gw := p.st.gateways[n%int64(len(p.st.gateways))]
	email := fmt.Sprintf("probe%04d-%s@%s", n, p.tag, probeDomain)
	form := url.Values{"registrationKey": {p.st.probeSiteKey}, "email": {email}, "firstName": {"Probe"}, "lastName": {"Round"}}
	req, _ := http.NewRequestWithContext(ctx, "POST", gw+"/webhooks/registration/"+p.st.probeSiteID, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := p.send(req, http.StatusAccepted); err != nil {
		return time.Time{}, fmt.Errorf("probe registration: %w", err)
	}
	objectID := fmt.Sprintf("probe-%s-%04d", p.tag, n)
	body, _ := json.Marshal(map[string]any{"eventType": probeEventType, "eventObjectType": "faultProbe", "objectId": objectID, "object": map[string]any{"id": objectID}})
	req, _ = http.NewRequestWithContext(ctx, "POST", gw+"/api/v1/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+p.st.adminToken)
	b, err := p.send(req, http.StatusAccepted)
	if err != nil {
		return time.Time{}, fmt.Errorf("probe event: %w", err)
	}
	var ev struct {
		EventID string `json:"eventId"`
	}
	if err := json.Unmarshal(b, &ev); err != nil || ev.EventID == "" {
		return time.Time{}, fmt.Errorf("probe event: no eventId in %s", truncate(string(b), 200))
	}
	m, err := p.st.sink.Wait(ctx, mailsink.To(email))
	if err != nil {
		return time.Time{}, fmt.Errorf("probe email to %s: %w", email, err)
	}
	at, err := p.st.rc.wait(ctx, "Delivery:"+ev.EventID+":channel:"+p.st.probeChannelID)
	if err != nil {
		return time.Time{}, fmt.Errorf("probe delivery of %s: %w", ev.EventID, err)
	}
	if m.ReceivedAt.After(at) {
		at = m.ReceivedAt
	}
	return at, nil
}

func (p *prober) send(req *http.Request, want int) ([]byte, error) {
	res, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(res.Body) //nolint:errcheck
	if res.StatusCode != want {
		return nil, fmt.Errorf("status %d: %s", res.StatusCode, truncate(buf.String(), 200))
	}
	return buf.Bytes(), nil
}

// awaitRecovery starts a probe round every second until one completes, and
// returns when its effects arrived. Each round may take up to roundLimit;
// nothing is started after limit.
func (p *prober) awaitRecovery(ctx context.Context, limit, roundLimit time.Duration) (time.Time, int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		at  time.Time
		err error
	}
	results := make(chan result, 256)
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	started, running := 0, 0
	var lastErr error
	launch := func() {
		started++
		running++
		go func() {
			rctx, rcancel := context.WithTimeout(ctx, roundLimit)
			defer rcancel()
			at, err := p.round(rctx)
			results <- result{at, err}
		}()
	}
	launch()
	for {
		select {
		case r := <-results:
			running--
			if r.err == nil {
				return r.at, started, nil
			}
			lastErr = r.err
			if running == 0 && time.Now().After(deadline) {
				return time.Time{}, started, fmt.Errorf("no probe round completed within %s (last: %v)", limit, lastErr)
			}
		case <-tick.C:
			if time.Now().Before(deadline) && running < 64 {
				launch()
			}
		case <-ctx.Done():
			return time.Time{}, started, ctx.Err()
		}
	}
}
