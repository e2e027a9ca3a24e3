package fakeportal_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gatehouse/internal/testkit/fakeportal"
)

// PostSamples sends the seed's 13 samples byte for byte, with the custom
// header, as POST application/json.
func TestPostSamplesVerbatim(t *testing.T) {
	path, err := fakeportal.SeedPath()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Gatehouse-Secret") != "s3cret" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	posted, err := fakeportal.PostSamples(context.Background(), srv.Client(), srv.URL+"/webhooks/portal/p1",
		http.Header{"X-Gatehouse-Secret": {"s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(posted) != 13 || len(got) != 13 {
		t.Fatalf("posted %d, received %d, want 13", len(posted), len(got))
	}
	for i, b := range got {
		if posted[i].Status != http.StatusAccepted {
			t.Errorf("%s: status %d", posted[i].Event, posted[i].Status)
		}
		// Verbatim: the body is a substring of the seed text, fenced.
		if !bytes.Contains(seed, append(append([]byte("```json\n"), b...), "```"...)) {
			t.Errorf("%s: body is not the seed's block verbatim:\n%s", posted[i].Event, b)
		}
	}
	if posted[0].Event != "UserRegistered" || posted[12].Event != "OrganisationRequestRejected" {
		t.Errorf("order: %s ... %s", posted[0].Event, posted[12].Event)
	}
}

func TestParseSamples(t *testing.T) {
	text := []byte("intro\n```json\n{\n  \"Event\": \"A\"\n}\n```\nmid\n```json\n{\"Event\":\"B\"}\n```\n")
	ss, err := fakeportal.ParseSamples(text)
	if err != nil || len(ss) != 2 || ss[0].Event != "A" || string(ss[0].Body) != "{\n  \"Event\": \"A\"\n}\n" || ss[1].Event != "B" {
		t.Fatalf("%+v %v", ss, err)
	}
	if _, err := fakeportal.ParseSamples([]byte("```json\n{")); err == nil || !strings.Contains(err.Error(), "unterminated") {
		t.Errorf("unterminated block: %v", err)
	}
	if _, err := fakeportal.ParseSamples([]byte("no blocks")); err == nil {
		t.Error("no blocks accepted")
	}
}

// Without the raw token the fake answers 401 and changes nothing; the log
// keeps what was sent.
func TestTokenAndLog(t *testing.T) {
	p := fakeportal.New(t, "tok")
	id := p.AddAccessRequest(fakeportal.AccessRequest{})
	for _, auth := range []string{"", "Bearer tok", "TOK"} {
		req, _ := http.NewRequest(http.MethodPut, p.URL+"/portal-api/access_requests/"+strconv.FormatInt(id, 10)+"/approve", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d", auth, resp.StatusCode)
		}
	}
	if ar, _ := p.AccessRequest(id); ar.Status != "pending" {
		t.Errorf("status %q", ar.Status)
	}
	log := p.Requests()
	if len(log) != 3 || log[1].Authorization != "Bearer tok" || log[1].Status != http.StatusUnauthorized {
		t.Errorf("log %+v", log)
	}
}
