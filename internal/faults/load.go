package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Load event type and object type; the template and channel of the load
// match exactly these, the probe uses probeEventType.
const (
	loadEventType  = "FaultOrderPaid"
	loadObjectType = "faultOrder"
	probeEventType = "FaultProbe"
	loadDomain     = "load.faults.test"
	probeDomain    = "probe.faults.test"
)

// regSend is one registration webhook the load sent (with its retries).
type regSend struct {
	Seq      int       `json:"seq"`
	Email    string    `json:"email"` // as sent
	Norm     string    `json:"-"`     // lower case: the person
	Kind     string    `json:"kind"`  // new, duplicate, caseVariant
	Status   int       `json:"status"`
	Attempts int       `json:"attempts"`
	SentAt   time.Time `json:"sentAt"`
	DoneAt   time.Time `json:"doneAt"`
	Err      string    `json:"err,omitempty"`
}

func (r *regSend) accepted() bool { return r.Status == http.StatusAccepted }

// eventSend is one event the load posted (with its retries, under one
// Idempotency-Key).
type eventSend struct {
	Seq      int       `json:"seq"`
	ObjectID string    `json:"objectId"`
	Status   int       `json:"status"`
	Attempts int       `json:"attempts"`
	EventID  string    `json:"eventId,omitempty"`
	Dispatch string    `json:"dispatch,omitempty"` // started | queued
	SentAt   time.Time `json:"sentAt"`
	DoneAt   time.Time `json:"doneAt"`
	Err      string    `json:"err,omitempty"`
}

func (e *eventSend) accepted() bool {
	return (e.Status == http.StatusAccepted || e.Status == http.StatusOK) && e.EventID != ""
}

// loader sends registrations and events at a steady rate, round-robin over
// the gateways, and retries as a CRM does: 5xx, 429 and connection errors
// again (on the next gateway) with exponential backoff, for up to retryFor.
type loader struct {
	st       *stack
	client   *http.Client
	retryFor time.Duration
	dupShare float64 // exact duplicates of an earlier registration
	caseShr  float64 // the same address in other letter case
	tag      string

	mu      sync.Mutex
	regs    []*regSend
	events  []*eventSend
	persons []string // lower-case addresses, in creation order
	retries int      // attempts after the first, over all requests
	wg      sync.WaitGroup
}

func newLoader(st *stack, tag string, retryFor time.Duration) *loader {
	return &loader{
		st: st, tag: tag, retryFor: retryFor, dupShare: 0.15, caseShr: 0.10,
		client: &http.Client{
			// Longer than the gateway's own 10 s Temporal deadline.
			Timeout:   15 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
		},
	}
}

// run sends at the given rates until stop is closed; the requests in flight
// keep retrying, and wait() waits for them.
func (l *loader) run(ctx context.Context, regRate, eventRate float64, stop <-chan struct{}) {
	var ticks sync.WaitGroup
	tick := func(rate float64, fn func(i int)) {
		ticks.Go(func() {
			t := time.NewTicker(time.Duration(float64(time.Second) / rate))
			defer t.Stop()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				case <-t.C:
				}
				l.wg.Go(func() { fn(i) })
			}
		})
	}
	tick(regRate, l.register)
	tick(eventRate, l.event)
	ticks.Wait()
}

func (l *loader) wait() { l.wg.Wait() }

// pick chooses what registration i sends: a new person, an exact duplicate
// of a recent one, or a recent one's address in other letter case.
func (l *loader) pick(i int) (email, norm, kind string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := rand.Float64()
	if n := len(l.persons); n > 0 && r < l.dupShare+l.caseShr {
		p := l.persons[n-1-rand.IntN(min(n, 50))]
		if r < l.dupShare {
			return p, p, "duplicate"
		}
		return caseVariant(p, i), p, "caseVariant"
	}
	norm = fmt.Sprintf("p%05d-%s@%s", i, l.tag, loadDomain)
	l.persons = append(l.persons, norm)
	return norm, norm, "new"
}

// caseVariant writes the address in other letter case (the same person).
func caseVariant(addr string, i int) string {
	local, domain, _ := strings.Cut(addr, "@")
	switch i % 3 {
	case 0:
		return strings.ToUpper(addr)
	case 1:
		return strings.ToUpper(local[:1]) + local[1:] + "@" + strings.ToUpper(domain)
	default:
		return local + "@" + strings.ToUpper(domain[:1]) + domain[1:]
	}
}

func (l *loader) register(i int) {
	email, norm, kind := l.pick(i)
	rs := &regSend{Seq: i, Email: email, Norm: norm, Kind: kind, SentAt: time.Now()}
	form := url.Values{"registrationKey": {l.st.siteKey}, "email": {email}, "firstName": {"Fault"}, "lastName": {fmt.Sprintf("Load%d", i)}}.Encode()
	status, _, attempts, err := l.post(i, func(base string) (*http.Request, error) {
		req, err := http.NewRequest("POST", base+"/webhooks/registration/"+l.st.siteID, strings.NewReader(form))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return req, err
	})
	rs.Status, rs.Attempts, rs.DoneAt = status, attempts, time.Now()
	if err != nil {
		rs.Err = err.Error()
	}
	l.mu.Lock()
	l.regs = append(l.regs, rs)
	l.retries += attempts - 1
	l.mu.Unlock()
}

func (l *loader) event(i int) {
	es := &eventSend{Seq: i, ObjectID: fmt.Sprintf("ord-%s-%05d", l.tag, i), SentAt: time.Now()}
	body, _ := json.Marshal(map[string]any{
		"eventType": loadEventType, "eventObjectType": loadObjectType, "objectId": es.ObjectID,
		"object": map[string]any{"id": es.ObjectID, "amount": i, "currency": "EUR"},
	})
	key := "faults-" + es.ObjectID
	status, resBody, attempts, err := l.post(i, func(base string) (*http.Request, error) {
		req, err := http.NewRequest("POST", base+"/api/v1/events", bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+l.st.adminToken)
			req.Header.Set("Idempotency-Key", key)
		}
		return req, err
	})
	es.Status, es.Attempts, es.DoneAt = status, attempts, time.Now()
	if err != nil {
		es.Err = err.Error()
	}
	var res struct {
		EventID  string `json:"eventId"`
		Dispatch string `json:"dispatch"`
	}
	if json.Unmarshal(resBody, &res) == nil {
		es.EventID, es.Dispatch = res.EventID, res.Dispatch
	}
	l.mu.Lock()
	l.events = append(l.events, es)
	l.retries += attempts - 1
	l.mu.Unlock()
}

// post sends until a final answer or retryFor passes; seq spreads the
// first attempts over the gateways, and each retry takes the next one.
func (l *loader) post(seq int, build func(base string) (*http.Request, error)) (status int, body []byte, attempts int, err error) {
	backoff := 250 * time.Millisecond
	deadline := time.Now().Add(l.retryFor)
	gws := l.st.gateways
	for attempts = 1; ; attempts++ {
		req, berr := build(gws[(seq+attempts-1)%len(gws)])
		if berr != nil {
			return 0, nil, attempts, berr
		}
		res, derr := l.client.Do(req)
		if derr == nil {
			body, _ = io.ReadAll(io.LimitReader(res.Body, 1<<20))
			res.Body.Close()
			status, err = res.StatusCode, nil
			if !retryable(status) {
				return status, body, attempts, nil
			}
			err = fmt.Errorf("status %d: %s", status, truncate(string(body), 200))
		} else {
			status, err = 0, derr
		}
		if time.Now().Add(backoff).After(deadline) {
			return status, body, attempts, fmt.Errorf("gave up after %d attempts: %w", attempts, err)
		}
		time.Sleep(backoff/2 + rand.N(backoff/2))
		backoff = min(backoff*2, 4*time.Second)
	}
}

func retryable(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
