package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/domain"
	"gatehouse/internal/portal"
	"gatehouse/workflows"
)

// DemoSiteID is the site make dev creates on first start, so the README's
// walkthrough has something to register against.
const DemoSiteID = "demo"

// Demo is what the seeding did: the site and its registration key.
type Demo struct {
	SiteID  string
	Key     string // the key it was created with ("" when unknown; an edited site may have another)
	Created bool
}

// seedDemo creates the demo site through the admin API (so it is validated
// like any other) unless a site with its id exists: an edited or deleted-
// and-recreated site is never overwritten. Its registration key is made
// once and kept in the data directory, like the admin token.
func seedDemo(ctx context.Context, base, publicURL, token, dataDir string) (Demo, error) {
	d := Demo{SiteID: DemoSiteID}
	keyFile := filepath.Join(dataDir, "demo-registration-key")
	call := func(method string, body any) (int, string, error) {
		return adminCall(ctx, base, token, method, "/api/v1/sites/"+DemoSiteID, body)
	}
	code, body, err := call(http.MethodGet, nil)
	switch {
	case err != nil:
		return d, fmt.Errorf("demo site: %w", err)
	case code == http.StatusOK:
		// A site made some other way has a key this data directory may not know.
		if b, err := os.ReadFile(keyFile); err == nil {
			d.Key = strings.TrimSpace(string(b))
		} else if !errors.Is(err, os.ErrNotExist) {
			return d, err
		}
		return d, nil
	case code != http.StatusNotFound:
		return d, fmt.Errorf("demo site: GET answered %d %s", code, body)
	}
	key, err := adminToken(keyFile)
	if err != nil {
		return d, err
	}
	d.Key = key
	site := map[string]any{
		"name":      "Demo",
		"eventName": "Demo Summit",
		"languages": []string{"en", "de", "fr", "es"},
		"webhooksiteregistration": map[string]any{
			"enabled":         true,
			"registrationKey": key,
			// A magic link is the shortest way from a registration to a
			// signed-in person: one click in the email.
			"authMethod":        "magicLink",
			"signInCallbackUrl": publicURL + "/dev/portal",
			"completeButtonUrl": publicURL + "/sign-in?site=" + DemoSiteID,
		},
	}
	code, body, err = call(http.MethodPut, site)
	if err != nil {
		return d, fmt.Errorf("demo site: %w", err)
	}
	if code != http.StatusCreated {
		return d, fmt.Errorf("demo site: PUT answered %d %s", code, body)
	}
	d.Created = true
	return d, nil
}

// adminCall is one admin API request of the seeding.
func adminCall(ctx context.Context, base, token, method, path string, body any) (int, string, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := seedClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	return res.StatusCode, string(b), nil
}

var seedClient = &http.Client{Timeout: 10 * time.Second}

// DevPortal is what the portal seeding did.
type DevPortal struct {
	PortalID     string
	SecretFile   string // the inbound secret it was created with
	TykTokenFile string // the demo Tyk portal's admin token
	Created      bool
	// DemoDecided: Gatehouse decided access request DemoAccessRequestID
	// on an earlier run; the demo Tyk portal, which forgets, has it
	// pending again, and posting it again is a duplicate.
	DemoDecided bool
}

// demoDecided reports whether the demo access request's approval exists
// and is no longer pending.
func demoDecided(ctx context.Context, base, token string) (bool, error) {
	id := workflows.ApprovalID(DevPortalID, portal.KindAccessRequest, strconv.Itoa(DemoAccessRequestID))
	code, body, err := adminCall(ctx, base, token, http.MethodGet, "/api/v1/approvals/"+url.PathEscape(id), nil)
	switch {
	case err != nil:
		return false, fmt.Errorf("dev portal: %w", err)
	case code == http.StatusNotFound:
		return false, nil
	case code != http.StatusOK:
		return false, fmt.Errorf("dev portal: GET approval answered %d %s", code, body)
	}
	var got struct {
		Approval struct{ Status string } `json:"approval"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		return false, fmt.Errorf("dev portal: approval: %w", err)
	}
	return got.Approval.Status != domain.ApprovalPending, nil
}

// seedDevPortal creates the portal dev-portal through the admin API unless
// one exists (an edited portal is never overwritten): the demo Tyk portal
// at tykURL with its admin token, an inbound secret kept in the data
// directory, and an access request policy whose approver's email lands in
// the dev mailbox. The README's walkthrough PUTs the same settings.
func seedDevPortal(ctx context.Context, base, tykURL, token, tykToken, dataDir string) (DevPortal, error) {
	d := DevPortal{PortalID: DevPortalID, SecretFile: filepath.Join(dataDir, "dev-portal-inbound-secret"),
		TykTokenFile: filepath.Join(dataDir, "dev-tyk-token")}
	path := "/api/v1/portals/" + DevPortalID
	code, body, err := adminCall(ctx, base, token, http.MethodGet, path, nil)
	switch {
	case err != nil:
		return d, fmt.Errorf("dev portal: %w", err)
	case code == http.StatusOK:
		d.DemoDecided, err = demoDecided(ctx, base, token)
		return d, err
	case code != http.StatusNotFound:
		return d, fmt.Errorf("dev portal: GET answered %d %s", code, body)
	}
	secret, err := adminToken(d.SecretFile)
	if err != nil {
		return d, err
	}
	p := map[string]any{
		"name":             "Demo Tyk portal",
		"baseUrl":          tykURL,
		"adminToken":       tykToken,
		"inboundSecret":    secret,
		"allowedAddresses": []string{"127.0.0.1/32", "::1/128"},
		"approvals": map[string]any{"accessRequest": map[string]any{
			"approvers": map[string]any{"emails": []string{"api-owners@example.com"}}, "expireAfter": "72h"}},
	}
	code, body, err = adminCall(ctx, base, token, http.MethodPut, path, p)
	if err != nil {
		return d, fmt.Errorf("dev portal: %w", err)
	}
	if code != http.StatusCreated {
		return d, fmt.Errorf("dev portal: PUT answered %d %s", code, body)
	}
	d.Created = true
	return d, nil
}
