package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
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
	client := &http.Client{Timeout: 10 * time.Second}
	call := func(method string, body any) (int, string, error) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+"/api/v1/sites/"+DemoSiteID, rd)
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
		return res.StatusCode, string(b), nil
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
