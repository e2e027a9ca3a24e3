package testkit

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Request is one request a Receiver got.
type Request struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
	At     time.Time
}

// Reply is what a Receiver answers.
type Reply struct {
	Status int
	Header map[string]string
	Body   string
	Delay  time.Duration
}

// Receiver is a real HTTP server that records every request: the far side
// of outbound callbacks, or a CRM's endpoint.
type Receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []Request
	changed  chan struct{}
	// Respond chooses the reply for the n-th request (1-based); nil answers 200.
	respond func(n int, r Request) Reply
}

// NewReceiver starts a receiver that stops when the test ends.
func NewReceiver(t testing.TB) *Receiver {
	rc := &Receiver{changed: make(chan struct{})}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

// Respond installs the reply function.
func (rc *Receiver) Respond(f func(n int, r Request) Reply) {
	rc.mu.Lock()
	rc.respond = f
	rc.mu.Unlock()
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body, At: time.Now()}
	rc.mu.Lock()
	rc.requests = append(rc.requests, req)
	n, respond := len(rc.requests), rc.respond
	close(rc.changed)
	rc.changed = make(chan struct{})
	rc.mu.Unlock()
	reply := Reply{Status: http.StatusOK, Body: "ok"}
	if respond != nil {
		reply = respond(n, req)
	}
	if reply.Delay > 0 {
		select {
		case <-time.After(reply.Delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range reply.Header {
		w.Header().Set(k, v)
	}
	if reply.Status == 0 {
		reply.Status = http.StatusOK
	}
	w.WriteHeader(reply.Status)
	io.WriteString(w, reply.Body) //nolint:errcheck
}

// Requests returns a copy of what arrived so far.
func (rc *Receiver) Requests() []Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Request(nil), rc.requests...)
}

// WaitFor blocks until at least n requests arrived and returns them.
func (rc *Receiver) WaitFor(ctx context.Context, n int) ([]Request, error) {
	for {
		rc.mu.Lock()
		if len(rc.requests) >= n {
			out := append([]Request(nil), rc.requests...)
			rc.mu.Unlock()
			return out, nil
		}
		ch := rc.changed
		rc.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return rc.Requests(), ctx.Err()
		}
	}
}
