package devstack

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The demo Tyk portal answers Tyk's admin API under /dev/tyk with the raw
// token only, and its log says how each request was authorised.
func TestDevTyk(t *testing.T) {
	srv := httptest.NewServer(newDevTyk("tyk-token-0123456789").Handler())
	defer srv.Close()
	call := func(method, path, auth string) int {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := call("PUT", "/dev/tyk/portal-api/access_requests/29/approve", "Bearer tyk-token-0123456789"); code != 401 {
		t.Fatalf("Bearer token: %d", code)
	}
	if code := call("PUT", "/dev/tyk/portal-api/access_requests/29/approve", "tyk-token-0123456789"); code != 200 {
		t.Fatalf("approve: %d", code)
	}
	if code := call("PUT", "/dev/tyk/portal-api/access_requests/29/approve", "tyk-token-0123456789"); code != 422 {
		t.Fatalf("approve again: %d", code)
	}
	res, err := http.Get(srv.URL + "/dev/tyk/requests")
	if err != nil {
		t.Fatal(err)
	}
	var log struct{ Requests []devTykRequest }
	json.NewDecoder(res.Body).Decode(&log)
	res.Body.Close()
	if len(log.Requests) != 3 || !strings.HasPrefix(log.Requests[0].Authorization, "wrong") ||
		log.Requests[1].Authorization != "the admin token, raw" || log.Requests[1].Path != "/portal-api/access_requests/29/approve" ||
		log.Requests[1].Status != 200 || log.Requests[2].Status != 422 {
		t.Fatalf("log %+v", log.Requests)
	}
	if code := call("POST", "/dev/tyk/access-requests", ""); code != 201 {
		t.Fatalf("new access request: %d", code)
	}
}
