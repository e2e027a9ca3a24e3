package faults

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is one child process the suite starts, kills and restarts. Its
// output goes to one log file (appended across restarts); a line containing
// marker, when set, closes the current start's ready channel.
type proc struct {
	name    string
	path    string
	args    []string
	env     []string
	logPath string
	marker  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when the current process has exited
	ready  chan struct{} // closed when marker was printed
	starts int
}

// start launches the process. The child dies with the suite (Pdeathsig) so
// an interrupted run leaves nothing behind.
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s: already running", p.name)
	}
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	p.starts++
	fmt.Fprintf(f, "=== faults: start #%d of %s at %s\n", p.starts, p.name, time.Now().UTC().Format(time.RFC3339Nano))
	r, w, err := os.Pipe()
	if err != nil {
		f.Close()
		return err
	}
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = childEnv(p.env)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		f.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	w.Close()
	done, ready := make(chan struct{}), make(chan struct{})
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		seen := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(f, line)
			if !seen && p.marker != "" && strings.Contains(line, p.marker) {
				seen = true
				close(ready)
			}
		}
		r.Close()
	}()
	go func() {
		err := cmd.Wait()
		<-copied
		fmt.Fprintf(f, "=== faults: %s exited at %s: %v\n", p.name, time.Now().UTC().Format(time.RFC3339Nano), err)
		f.Close()
		p.mu.Lock()
		if p.cmd == cmd {
			p.cmd = nil
		}
		p.mu.Unlock()
		close(done)
	}()
	p.cmd, p.done, p.ready = cmd, done, ready
	return nil
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("%s: not running", p.name)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s did not exit 10 s after SIGKILL", p.name)
	}
}

// stop asks politely (SIGTERM), then kills after grace.
func (p *proc) stop(grace time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
	select {
	case <-done:
	case <-time.After(grace):
		cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck
		<-done
	}
}

// exited is closed when the current process has exited (nil if none).
func (p *proc) exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// waitMarker waits for the current start's marker line.
func (p *proc) waitMarker(ctx context.Context, limit time.Duration) error {
	p.mu.Lock()
	ready, done := p.ready, p.done
	p.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-done:
		select {
		case <-ready: // printed the marker, then exited (migrate)
			return nil
		default:
		}
		return fmt.Errorf("%s exited before it was ready (see %s)", p.name, p.logPath)
	case <-time.After(limit):
		return fmt.Errorf("%s not ready within %s (see %s)", p.name, limit, p.logPath)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// childEnv is the suite's environment without any Gatehouse or Temporal
// setting of the caller's shell, plus the process's own.
func childEnv(own []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GATEHOUSE_") || strings.HasPrefix(kv, "TEMPORAL_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, own...)
}

// buildBinaries compiles the processes of the production shape (and the
// standalone Temporal server) once into dir.
func buildBinaries(ctx context.Context, repo, dir string, logf func(string, ...any)) error {
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator),
		"./gateway", "./worker", "./internal/cmd/migrate", "./internal/cmd/temporal")
	cmd.Dir = repo
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	logf("built gateway, worker, migrate, temporal in %.1fs", time.Since(t0).Seconds())
	return nil
}

// repoRoot is the module root (where go.mod is), from the working directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for range 20 {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("go.mod not found above the working directory: run from the repository")
}

// waitHTTP polls url until it answers want, or limit passes.
func waitHTTP(ctx context.Context, url string, want int, limit time.Duration) error {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(limit)
	var last string
	for time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := c.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == want {
				return nil
			}
			last = res.Status
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer %d within %s (last: %s)", url, want, limit, last)
}
