// Package fakeportal is a real HTTP server following the Tyk Enterprise
// Developer Portal's admin API (OpenAPI 1.14, the routes Gatehouse calls):
// access requests, users and organisations in memory, the raw-token
// Authorization check, injected failures and a request log. It also posts
// the seed's sample webhooks verbatim (seed.go).
package fakeportal

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// APIPrefix is the admin API's base path.
const APIPrefix = "/portal-api"

// timeLayout is the admin API's time format ("2023-06-25 13:37").
const timeLayout = "2006-01-02 15:04"

// AccessRequest is the portal's AccessRequest-basic plus the app it belongs
// to (not in the portal's JSON; it is how /apps/{id}/access-requests lists).
type AccessRequest struct {
	ID                   int64  `json:"ID"`
	Status               string `json:"Status"`
	User                 string `json:"User"`
	Client               string `json:"Client"`
	Plan                 string `json:"Plan"`
	Products             string `json:"Products"`
	Catalogue            string `json:"Catalogue"`
	AuthType             string `json:"AuthType"`
	DCREnabled           bool   `json:"DCREnabled"`
	ProvisionImmediately bool   `json:"ProvisionImmediately"`
	CreatedAt            string `json:"CreatedAt"`
	UpdatedAt            string `json:"UpdatedAt"`
	Credentials          []any  `json:"Credentials"`
	AppID                int64  `json:"-"`
}

// Team is a Team-show.
type Team struct {
	ID   int64  `json:"ID"`
	Name string `json:"Name"`
}

// User is the portal's User-show (JWTToken included, as the portal does).
type User struct {
	ID                int64  `json:"ID"`
	Active            bool   `json:"Active"`
	Email             string `json:"Email"`
	First             string `json:"First"`
	Last              string `json:"Last"`
	OrganisationID    int64  `json:"OrganisationID"`
	Organisation      string `json:"Organisation"`
	Role              string `json:"Role"`
	Provider          string `json:"Provider"`
	ResetPassword     bool   `json:"ResetPassword"`
	Teams             []Team `json:"Teams"`
	JWTToken          string `json:"JWTToken"`
	APITokenCreatedAt string `json:"APITokenCreatedAt"`
	CreatedAt         string `json:"CreatedAt"`
	UpdatedAt         string `json:"UpdatedAt"`
}

// userUpdate is User-update: Teams are team IDs as strings.
type userUpdate struct {
	Active         *bool    `json:"Active"`
	Email          *string  `json:"Email"`
	First          *string  `json:"First"`
	Last           *string  `json:"Last"`
	OrganisationID *int64   `json:"OrganisationID"`
	Role           *string  `json:"Role"`
	Provider       *string  `json:"Provider"`
	ResetPassword  *bool    `json:"ResetPassword"`
	Teams          []string `json:"Teams"`
}

// Organisation is an Organisation-show.
type Organisation struct {
	ID        int64  `json:"ID"`
	Name      string `json:"Name"`
	CreatedAt string `json:"CreatedAt"`
	UpdatedAt string `json:"UpdatedAt"`
	Teams     []Team `json:"Teams"`
	Users     []any  `json:"Users"`
}

// Request is one logged admin API request.
type Request struct {
	Method        string
	Path          string
	Authorization string
	Body          []byte
	Status        int
	At            time.Time // when the request arrived
}

// Portal is the fake portal.
type Portal struct {
	*httptest.Server
	Token string

	mu             sync.Mutex
	accessRequests map[int64]*AccessRequest
	users          map[int64]*User
	orgs           map[int64]*Organisation
	nextID         int64
	failNext       int
	failStatus     int
	approveFails   map[int64]string
	log            []Request
	now            func() time.Time
	handler        http.Handler
}

// New starts a fake portal answering to token; it stops when the test ends.
// Organisation 1, "Default Organisation", exists, as in a new portal.
func New(t testing.TB, token string) *Portal {
	p := Start(token)
	t.Cleanup(p.Close)
	return p
}

// Start is New outside a test (the benchmark's portal); Close stops it.
func Start(token string) *Portal {
	p := NewUnstarted(token)
	p.Server = httptest.NewServer(p.handler)
	return p
}

// NewUnstarted is a portal without a server of its own, to mount Handler
// under another one (make dev serves one at /dev/tyk). Its BaseURL and
// Close are the server's: it has none.
func NewUnstarted(token string) *Portal {
	p := &Portal{
		Token:          token,
		accessRequests: map[int64]*AccessRequest{},
		users:          map[int64]*User{},
		orgs:           map[int64]*Organisation{},
		approveFails:   map[int64]string{},
		nextID:         100,
		now:            time.Now,
	}
	p.orgs[1] = &Organisation{ID: 1, Name: "Default Organisation", CreatedAt: p.stamp(), UpdatedAt: p.stamp(),
		Teams: []Team{{ID: 1, Name: "Default Organisation All users"}}, Users: []any{}}
	p.handler = p.routes()
	return p
}

// Handler serves the admin API at /portal-api and logs every request.
func (p *Portal) Handler() http.Handler { return p.handler }

// BaseURL is what Gatehouse stores as the portal's baseUrl (no /portal-api).
func (p *Portal) BaseURL() string { return p.URL }

func (p *Portal) stamp() string { return p.now().UTC().Format(timeLayout) }

func (p *Portal) id() int64 { p.nextID++; return p.nextID }

// AddAccessRequest stores an access request (Status pending when empty) and
// returns its ID (ar.ID when set).
func (p *Portal) AddAccessRequest(ar AccessRequest) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ar.ID == 0 {
		ar.ID = p.id()
	}
	if ar.Status == "" {
		ar.Status = "pending"
	}
	if ar.CreatedAt == "" {
		ar.CreatedAt, ar.UpdatedAt = p.stamp(), p.stamp()
	}
	if ar.Credentials == nil {
		ar.Credentials = []any{}
	}
	p.accessRequests[ar.ID] = &ar
	return ar.ID
}

// AddUser stores a user (in organisation 1 when none) and returns its ID.
func (p *Portal) AddUser(u User) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u.ID == 0 {
		u.ID = p.id()
	}
	if u.OrganisationID == 0 {
		u.OrganisationID = 1
	}
	if o := p.orgs[u.OrganisationID]; o != nil {
		u.Organisation = o.Name
	}
	if u.CreatedAt == "" {
		u.CreatedAt, u.UpdatedAt = p.stamp(), p.stamp()
	}
	if u.JWTToken == "" {
		u.JWTToken = fmt.Sprintf("jwt-of-user-%d", u.ID)
	}
	p.users[u.ID] = &u
	return u.ID
}

// AccessRequest returns a stored access request.
func (p *Portal) AccessRequest(id int64) (AccessRequest, bool) {
	return lookup(p, p.accessRequests, id)
}

// AccessRequests returns the stored access requests by ID.
func (p *Portal) AccessRequests() []AccessRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]AccessRequest, 0, len(p.accessRequests))
	for _, ar := range p.accessRequests {
		out = append(out, *ar)
	}
	slices.SortFunc(out, func(a, b AccessRequest) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// User returns a stored user.
func (p *Portal) User(id int64) (User, bool) { return lookup(p, p.users, id) }

// lookup copies an entry out under the lock.
func lookup[T any](p *Portal, m map[int64]*T, id int64) (T, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := m[id]
	if !ok {
		var zero T
		return zero, false
	}
	return *v, true
}

// Organisations returns the stored organisations by ID.
func (p *Portal) Organisations() []Organisation {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Organisation, 0, len(p.orgs))
	for _, o := range p.orgs {
		out = append(out, *o)
	}
	slices.SortFunc(out, func(a, b Organisation) int { return int(a.ID - b.ID) })
	return out
}

// FailNext makes the next n authorised requests answer status (500 when 0)
// without doing anything.
func (p *Portal) FailNext(n, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if status == 0 {
		status = http.StatusInternalServerError
	}
	p.failNext, p.failStatus = n, status
}

// FailApprove makes approving access request id answer 422 with message
// and leave it pending, as when the gateway or identity provider fails.
func (p *Portal) FailApprove(id int64, message string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.approveFails[id] = message
}

// Requests returns the request log.
func (p *Portal) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.log)
}

func (p *Portal) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+APIPrefix+"/access_requests", p.listAccessRequests)
	mux.HandleFunc("GET "+APIPrefix+"/access_requests/{id}", p.getAccessRequest)
	mux.HandleFunc("PUT "+APIPrefix+"/access_requests/{id}/approve", p.decideAccessRequest("approved"))
	mux.HandleFunc("PUT "+APIPrefix+"/access_requests/{id}/reject", p.decideAccessRequest("rejected"))
	mux.HandleFunc("GET "+APIPrefix+"/apps/{id}/access-requests", p.listAppAccessRequests)
	mux.HandleFunc("GET "+APIPrefix+"/users/{id}", p.getUser)
	mux.HandleFunc("PUT "+APIPrefix+"/users/{id}", p.putUser)
	mux.HandleFunc("DELETE "+APIPrefix+"/users/{id}", p.deleteUser)
	mux.HandleFunc("POST "+APIPrefix+"/organisations", p.createOrganisation)
	mux.HandleFunc("GET "+APIPrefix+"/organisations/{id}", p.getOrganisation)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		p.serve(mux, rec, r)
		p.mu.Lock()
		p.log = append(p.log, Request{Method: r.Method, Path: r.URL.Path,
			Authorization: r.Header.Get("Authorization"), Body: body, Status: rec.status, At: at})
		p.mu.Unlock()
	})
}

// serve checks the token (the raw admin token; "Bearer <token>" is refused
// like any other wrong value) and the injected failures.
func (p *Portal) serve(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != p.Token || p.Token == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []string{"unauthorized"}})
		return
	}
	p.mu.Lock()
	fail, status := p.failNext > 0, p.failStatus
	if fail {
		p.failNext--
	}
	p.mu.Unlock()
	if fail {
		writeJSON(w, status, map[string]any{"status": "error", "message": "injected failure"})
		return
	}
	mux.ServeHTTP(w, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func notFound(w http.ResponseWriter, what string) {
	writeJSON(w, http.StatusNotFound, map[string]any{"errors": []string{what + " not found"}})
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (p *Portal) listAccessRequests(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, page(p.AccessRequests(), r))
}

func (p *Portal) listAppAccessRequests(w http.ResponseWriter, r *http.Request) {
	app, ok := pathID(r)
	if !ok {
		notFound(w, "app")
		return
	}
	p.mu.Lock()
	out := []AccessRequest{}
	for _, ar := range p.accessRequests {
		if ar.AppID == app {
			out = append(out, *ar)
		}
	}
	p.mu.Unlock()
	slices.SortFunc(out, func(a, b AccessRequest) int { return int(a.ID - b.ID) })
	writeJSON(w, http.StatusOK, page(out, r))
}

// page applies ?page= and ?per_page= (default 20), as the portal does.
func page[T any](all []T, r *http.Request) []T {
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per <= 0 {
		per = 20
	}
	n, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if n <= 0 {
		n = 1
	}
	start := min((n-1)*per, len(all))
	return all[start:min(start+per, len(all))]
}

func (p *Portal) getAccessRequest(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	ar, ok := p.AccessRequest(id)
	if !ok {
		notFound(w, "access request")
		return
	}
	writeJSON(w, http.StatusOK, ar)
}

// decideAccessRequest answers StatusWithMessage: 200 when the request was
// pending, 422 when it is decided already or FailApprove says so.
func (p *Portal) decideAccessRequest(to string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, _ := pathID(r)
		p.mu.Lock()
		defer p.mu.Unlock()
		ar, ok := p.accessRequests[id]
		if !ok {
			notFound(w, "access request")
			return
		}
		if ar.Status != "pending" {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"status": "error",
				"message": fmt.Sprintf("access request %d is already %s", id, ar.Status)})
			return
		}
		if msg, fail := p.approveFails[id]; fail && to == "approved" {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"status": "error", "message": msg})
			return
		}
		ar.Status, ar.UpdatedAt = to, p.stamp()
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "message": "access request " + to})
	}
}

func (p *Portal) getUser(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	u, ok := p.User(id)
	if !ok {
		notFound(w, "user")
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// putUser applies a User-update. Unknown users and organisations answer 422
// with OnlyErrors, as the OpenAPI documents for this route.
func (p *Portal) putUser(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	var in userUpdate
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": []string{"bad request: " + err.Error()}})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	u, ok := p.users[id]
	if !ok {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": []string{"user not found"}})
		return
	}
	if in.OrganisationID != nil {
		o, ok := p.orgs[*in.OrganisationID]
		if !ok {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": []string{"organisation not found"}})
			return
		}
		u.OrganisationID, u.Organisation = o.ID, o.Name
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&u.Email, in.Email)
	set(&u.First, in.First)
	set(&u.Last, in.Last)
	set(&u.Role, in.Role)
	set(&u.Provider, in.Provider)
	if in.Active != nil {
		u.Active = *in.Active
	}
	if in.ResetPassword != nil {
		u.ResetPassword = *in.ResetPassword
	}
	if in.Teams != nil {
		u.Teams = u.Teams[:0]
		for _, t := range in.Teams {
			tid, err := strconv.ParseInt(t, 10, 64)
			if err != nil {
				writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": []string{"bad team id " + strconv.Quote(t)}})
				return
			}
			u.Teams = append(u.Teams, Team{ID: tid})
		}
	}
	u.UpdatedAt = p.stamp()
	writeJSON(w, http.StatusOK, *u)
}

func (p *Portal) deleteUser(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.users[id]; !ok {
		notFound(w, "user")
		return
	}
	delete(p.users, id)
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (p *Portal) createOrganisation(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"Name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || strings.TrimSpace(in.Name) == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": []string{"Name is required"}})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	o := &Organisation{ID: p.id(), Name: in.Name, CreatedAt: p.stamp(), UpdatedAt: p.stamp(), Teams: []Team{}, Users: []any{}}
	p.orgs[o.ID] = o
	writeJSON(w, http.StatusOK, *o)
}

func (p *Portal) getOrganisation(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r)
	p.mu.Lock()
	o, ok := p.orgs[id]
	var out Organisation
	if ok {
		out = *o
	}
	p.mu.Unlock()
	if !ok {
		notFound(w, "organisation")
		return
	}
	writeJSON(w, http.StatusOK, out)
}
