package fakeportal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// SeedGlob is the portal webhook seed, relative to the shared directory.
const SeedGlob = "seeds/002_*.txt"

// Sample is one sample payload of the seed, byte for byte as written there.
type Sample struct {
	Event string // the "Event" of the sample, as spelled in it
	Body  []byte
}

// SeedPath finds the seed: ../shared beside the module root (a clone in CI,
// /work/main here), or beside the main checkout when the module root is a
// git worktree; GATEHOUSE_SHARED_DIR overrides.
func SeedPath() (string, error) {
	var dirs []string
	if d := os.Getenv("GATEHOUSE_SHARED_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dirs = append(dirs, filepath.Join(root, "..", "shared"))
	if main, ok := mainCheckout(root); ok {
		dirs = append(dirs, filepath.Join(main, "..", "shared"))
	}
	for _, d := range dirs {
		m, _ := filepath.Glob(filepath.Join(d, SeedGlob))
		if len(m) == 1 {
			return m[0], nil
		}
	}
	return "", fmt.Errorf("fakeportal: no %s under %s", SeedGlob, strings.Join(dirs, " or "))
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("fakeportal: no go.mod above the working directory")
		}
		dir = parent
	}
}

// mainCheckout follows a worktree's .git file ("gitdir: <main>/.git/worktrees/x")
// to the main checkout.
func mainCheckout(root string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(root, ".git"))
	if err != nil {
		return "", false
	}
	gitdir, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: ")
	if !ok {
		return "", false
	}
	if !filepath.IsAbs(gitdir) {
		gitdir = filepath.Join(root, gitdir)
	}
	common := filepath.Join(gitdir, "..", "..") // <main>/.git
	if c, err := os.ReadFile(filepath.Join(gitdir, "commondir")); err == nil {
		common = strings.TrimSpace(string(c))
		if !filepath.IsAbs(common) {
			common = filepath.Join(gitdir, common)
		}
	}
	return filepath.Dir(filepath.Clean(common)), true
}

// Samples reads the seed's ```json blocks, in the seed's order.
func Samples() ([]Sample, error) {
	path, err := SeedPath()
	if err != nil {
		return nil, err
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSamples(text)
}

// ParseSamples extracts the ```json fenced blocks of a seed text.
func ParseSamples(text []byte) ([]Sample, error) {
	const open, fence = "```json\n", "```"
	var out []Sample
	rest := text
	for {
		i := bytes.Index(rest, []byte(open))
		if i < 0 {
			break
		}
		rest = rest[i+len(open):]
		j := bytes.Index(rest, []byte("\n"+fence))
		if j < 0 {
			return nil, errors.New("fakeportal: unterminated ```json block in the seed")
		}
		body := rest[:j+1] // keep the block's final newline, as written
		rest = rest[j+1+len(fence):]
		out = append(out, Sample{Event: eventOf(body), Body: body})
	}
	if len(out) == 0 {
		return nil, errors.New("fakeportal: no ```json blocks in the seed")
	}
	return out, nil
}

// eventOf reads the "Event" value without decoding the whole body, so a
// sample is never re-encoded.
func eventOf(body []byte) string {
	_, after, ok := bytes.Cut(body, []byte(`"Event"`))
	if !ok {
		return ""
	}
	_, after, ok = bytes.Cut(after, []byte(`"`))
	if !ok {
		return ""
	}
	name, _, _ := bytes.Cut(after, []byte(`"`))
	return string(name)
}

// Posted is the answer to one posted sample.
type Posted struct {
	Event  string
	Status int
	Body   string
}

// PostSamples sends every seed sample verbatim to target with POST (the
// portal's default channel method), Content-Type application/json and the
// given headers (the operator's secret header), as the portal would. It
// stops at the first transport error.
func PostSamples(ctx context.Context, hc *http.Client, target string, header http.Header) ([]Posted, error) {
	samples, err := Samples()
	if err != nil {
		return nil, err
	}
	out := make([]Posted, 0, len(samples))
	for _, s := range samples {
		p, err := Post(ctx, hc, target, header, s)
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Post sends one sample.
func Post(ctx context.Context, hc *http.Client, target string, header http.Header, s Sample) (Posted, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(s.Body))
	if err != nil {
		return Posted{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return Posted{}, fmt.Errorf("fakeportal: posting %s: %w", s.Event, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(http.MaxBytesReader(nil, resp.Body, 64<<10))
	return Posted{Event: s.Event, Status: resp.StatusCode, Body: b.String()}, nil
}
