package faults

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// arrival is one callback the receiver got.
type arrival struct {
	At     time.Time
	Path   string
	Status int // what the receiver answered
}

// receiver is the callback endpoint of the load's template and channel
// (/hook/...) and of the recovery probe (/probe). While failing is set it
// answers 503 on /hook/... as a receiver in trouble would; /probe always
// answers 204 so recovery is measured on Gatehouse alone. Every request is
// recorded under its webhook-id (the delivery id: one per event and target).
type receiver struct {
	srv *http.Server
	url string

	mu       sync.Mutex
	failing  bool
	arrivals map[string][]arrival
	noID     int           // requests without webhook-id (none expected)
	changed  chan struct{} // closed and replaced on every arrival
}

func startReceiver() (*receiver, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{url: "http://" + l.Addr().String(), arrivals: map[string][]arrival{}, changed: make(chan struct{})}
	rc.srv = &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second}
	go rc.srv.Serve(l) //nolint:errcheck // ends on Close
	return rc, nil
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20)) //nolint:errcheck
	id := r.Header.Get("webhook-id")
	rc.mu.Lock()
	status := http.StatusNoContent
	if rc.failing && strings.HasPrefix(r.URL.Path, "/hook/") {
		status = http.StatusServiceUnavailable
	}
	if id == "" {
		rc.noID++
	} else {
		rc.arrivals[id] = append(rc.arrivals[id], arrival{At: time.Now(), Path: r.URL.Path, Status: status})
	}
	close(rc.changed)
	rc.changed = make(chan struct{})
	rc.mu.Unlock()
	w.WriteHeader(status)
}

func (rc *receiver) setFailing(on bool) {
	rc.mu.Lock()
	rc.failing = on
	rc.mu.Unlock()
}

// delivered reports whether id was answered 2xx at least once.
func (rc *receiver) delivered(id string) (time.Time, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, a := range rc.arrivals[id] {
		if a.Status < 300 {
			return a.At, true
		}
	}
	return time.Time{}, false
}

// wait returns when id has been answered 2xx, or ctx ends.
func (rc *receiver) wait(ctx context.Context, id string) (time.Time, error) {
	for {
		if at, ok := rc.delivered(id); ok {
			return at, nil
		}
		rc.mu.Lock()
		ch := rc.changed
		rc.mu.Unlock()
		if at, ok := rc.delivered(id); ok {
			return at, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// snapshot copies every arrival list.
func (rc *receiver) snapshot() (map[string][]arrival, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make(map[string][]arrival, len(rc.arrivals))
	for k, v := range rc.arrivals {
		out[k] = append([]arrival(nil), v...)
	}
	return out, rc.noID
}

// total counts every request received so far.
func (rc *receiver) total() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := rc.noID
	for _, v := range rc.arrivals {
		n += len(v)
	}
	return n
}

func (rc *receiver) close() { rc.srv.Close() }
