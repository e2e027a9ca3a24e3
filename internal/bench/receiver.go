package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// receiver is the far side of the callbacks: it answers 204 and notes when
// each object's first callback arrived. The key is read from the callback
// body (Message.id, or Message.ID for a portal event), never from the
// event's 202 answer.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	arrived map[string]time.Time
	waiting map[string]chan struct{}
}

func newReceiver() *receiver {
	rc := &receiver{arrived: map[string]time.Time{}, waiting: map[string]chan struct{}{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		var p struct {
			Message map[string]any `json:"Message"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		dec.UseNumber()
		dec.Decode(&p) //nolint:errcheck // an unreadable body has no key
		rc.note(callbackKey(p.Message), now)
		w.WriteHeader(http.StatusNoContent)
	}))
	return rc
}

// callbackKey is the object's id ("id", as the bench's events carry it)
// or, for a portal event, "portal:" and the portal's numeric ID.
func callbackKey(m map[string]any) string {
	if id, ok := m["id"].(string); ok {
		return id
	}
	if id, ok := m["ID"]; ok {
		return fmt.Sprint("portal:", id)
	}
	return ""
}

func (rc *receiver) note(key string, at time.Time) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if _, seen := rc.arrived[key]; seen {
		return // a retry: the first attempt counts
	}
	rc.arrived[key] = at
	if ch, ok := rc.waiting[key]; ok {
		close(ch)
		delete(rc.waiting, key)
	}
}

// wait returns when key's first callback arrived.
func (rc *receiver) wait(ctx context.Context, key string) (time.Time, error) {
	rc.mu.Lock()
	if at, ok := rc.arrived[key]; ok {
		rc.mu.Unlock()
		return at, nil
	}
	ch, ok := rc.waiting[key]
	if !ok {
		ch = make(chan struct{})
		rc.waiting[key] = ch
	}
	rc.mu.Unlock()
	select {
	case <-ch:
		rc.mu.Lock()
		defer rc.mu.Unlock()
		return rc.arrived[key], nil
	case <-ctx.Done():
		return time.Time{}, fmt.Errorf("no callback for %s: %w", key, ctx.Err())
	}
}

// waitAll waits for every key's callback until deadline.
func (rc *receiver) waitAll(ctx context.Context, keys []string, deadline time.Time) error {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	for _, k := range keys {
		if _, err := rc.wait(ctx, k); err != nil {
			return err
		}
	}
	return nil
}
