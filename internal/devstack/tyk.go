package devstack

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"time"

	"gatehouse/internal/testkit/fakeportal"
)

// The demo Tyk portal make dev serves at /dev/tyk: the tests' fake portal
// (Tyk's admin API under /portal-api with the raw-token check, in memory),
// so the README's portal walkthrough has something to call back.
const (
	DevTykPath = "/dev/tyk"
	// DemoAccessRequestID is the pending access request the demo portal
	// starts with: the walkthrough's AccessRequestCreated names it.
	DemoAccessRequestID = 29
	// DevPortalID is the portal make dev creates on first start, pointing
	// at the demo Tyk portal.
	DevPortalID = "dev-portal"
)

// devTyk is the demo Tyk portal and the routes that show it.
type devTyk struct {
	portal *fakeportal.Portal
	next   atomic.Int64
}

// newDevTyk starts empty but for access request 29 (pending, app 1, as the
// seed's sample: ByUser 2, PlanID 2, ProductIDs [1]). It forgets everything
// when make dev stops; requests made with POST /dev/tyk/access-requests
// take IDs from the start time, so a restart does not reuse the ID of an
// approval that .data still has.
func newDevTyk(token string) *devTyk {
	d := &devTyk{portal: fakeportal.NewUnstarted(token)}
	d.next.Store(time.Now().Unix())
	d.add(DemoAccessRequestID)
	return d
}

func (d *devTyk) add(id int64) fakeportal.AccessRequest {
	d.portal.AddAccessRequest(fakeportal.AccessRequest{ID: id, AppID: 1, Status: "pending",
		User: "developer@example.com", Client: "Demo app", Plan: "Gold", Products: "Demo API",
		Catalogue: "Public", AuthType: "authToken"})
	ar, _ := d.portal.AccessRequest(id)
	return ar
}

// Handler serves, under /dev/tyk:
//   - /portal-api/…: Tyk's admin API (Authorization: the raw token in .data/dev-tyk-token)
//   - GET /requests: what the admin API received, newest last (the last 200)
//   - GET /access-requests: the portal's access requests and their status
//   - POST /access-requests: a new pending access request of app 1 (answered 201)
func (d *devTyk) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(DevTykPath+fakeportal.APIPrefix+"/", http.StripPrefix(DevTykPath, d.portal.Handler()))
	mux.HandleFunc("GET "+DevTykPath+"/requests", d.requests)
	mux.HandleFunc("GET "+DevTykPath+"/access-requests", func(w http.ResponseWriter, r *http.Request) {
		writeDevJSON(w, http.StatusOK, map[string]any{"accessRequests": d.portal.AccessRequests()})
	})
	mux.HandleFunc("POST "+DevTykPath+"/access-requests", func(w http.ResponseWriter, r *http.Request) {
		writeDevJSON(w, http.StatusCreated, d.add(d.next.Add(1)))
	})
	return mux
}

// devTykRequest is one logged admin API request. The token is not shown:
// whether it was the right one, sent raw, is.
type devTykRequest struct {
	At            time.Time `json:"at"`
	Method        string    `json:"method"`
	Path          string    `json:"path"`
	Authorization string    `json:"authorization"`
	Status        int       `json:"status"`
	Body          string    `json:"body,omitempty"`
}

func (d *devTyk) requests(w http.ResponseWriter, r *http.Request) {
	log := d.portal.Requests()
	log = log[max(0, len(log)-200):]
	out := make([]devTykRequest, len(log))
	for i, q := range log {
		auth := "the admin token, raw"
		switch {
		case q.Authorization == "":
			auth = "missing"
		case q.Authorization != d.portal.Token:
			auth = "wrong (the raw admin token is expected, no Bearer)"
		}
		out[i] = devTykRequest{At: q.At.UTC(), Method: q.Method, Path: q.Path, Authorization: auth, Status: q.Status, Body: string(q.Body)}
	}
	writeDevJSON(w, http.StatusOK, map[string]any{"requests": out})
}

func writeDevJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v) //nolint:errcheck
}
