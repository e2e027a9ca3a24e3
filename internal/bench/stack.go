package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"gatehouse/internal/config"
	"gatehouse/internal/devstack"
	"gatehouse/internal/logging"
	"gatehouse/internal/mailsink"
	"gatehouse/internal/payloadcodec"
	"gatehouse/internal/store"
	"gatehouse/internal/temporalconn"
)

// EngineQueue is the task queue of the bench's own worker in the stack
// process: it runs Noop, the engine floor.
const EngineQueue = "gatehouse-bench-engine"

// readyMarker starts the line the stack process prints once it serves.
const readyMarker = "BENCH-STACK-READY "

// Noop starts and completes in its first workflow task: what a workflow
// costs the engine at the least.
func Noop(workflow.Context) error { return nil }

type ready struct {
	URL      string `json:"url"`
	Temporal string `json:"temporal"`
}

// Serve is the stack process (`bench -serve`): the dev stack (embedded
// Temporal, worker, gateway) configured from the environment, plus a worker
// for Noop on EngineQueue, until ctx ends. Everything measured as "the
// stack" runs here; the load, receiver, mail sink and fake portal run in
// the parent, so their CPU is not counted.
func Serve(ctx context.Context) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	log := logging.Stderr("text", slog.LevelWarn)
	if path := os.Getenv("GATEHOUSE_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	dir := os.Getenv("GATEHOUSE_DATA_DIR")
	st, err := devstack.Start(ctx, cfg, devstack.Settings{DataDir: dir, UIAddr: "127.0.0.1:0", SMTPAddr: "127.0.0.1:0"}, log)
	if err != nil {
		return err
	}
	defer st.Stop()
	w, err := startEngineWorker(st.App.Temporal)
	if err != nil {
		return err
	}
	defer w.Stop()
	b, _ := json.Marshal(ready{URL: st.URL, Temporal: st.Config.Temporal.Address})
	fmt.Println(readyMarker + string(b))
	<-ctx.Done()
	if path := os.Getenv("GATEHOUSE_BENCH_HEAPPROFILE"); path != "" {
		// Written while the stack still holds its caches: what stays live
		// after the last phase.
		if err := writeHeapProfile(path); err != nil {
			log.Warn("heap profile", "err", err)
		}
	}
	return nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // the profile's in-use figures are as of the last GC
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Stack is the parent's view of the stack process.
type Stack struct {
	URL      string
	Config   config.Config // as the stack process has it (addresses filled in)
	Temporal client.Client // the load generator's own client
	Store    *store.Store  // read-only look-ups (the registration site)
	Sink     *mailsink.Sink
	PID      int    // the one stack process; 0 when split
	Procs    []Proc // every process of the stack, measured as its CPU
	DBPIDs   []int

	children     []*child // split: in start order
	releasePorts func()

	cmd    *exec.Cmd
	exited chan struct{}
	logf   *os.File
}

// Profiles are where the stack process writes its profiles; empty paths
// write none.
type Profiles struct {
	CPU  string // a CPU profile of its whole life
	Heap string // a heap profile when it stops, after the last phase
}

// StackOptions are what a run may change in the stack process.
type StackOptions struct {
	Profiles
	// Env overrides the stack process's configuration (KEY=VALUE), for
	// A/B runs of a setting.
	Env []string
	// Split runs the production shape instead of one process: the Temporal
	// server, a worker and a gateway as processes of their own.
	Split bool
}

// StartStack starts `exe -serve` with a fresh configuration on database
// dsn, and waits until it serves. Its output goes to logPath.
func StartStack(ctx context.Context, exe, dsn, dataDir, logPath string, so StackOptions) (*Stack, error) {
	s := &Stack{exited: make(chan struct{})}
	var err error
	if s.Sink, err = mailsink.Start("127.0.0.1:0", 500); err != nil {
		return nil, err
	}
	env := map[string]string{
		"GATEHOUSE_HTTP_ADDR":      "127.0.0.1:0",
		"TEMPORAL_ADDRESS":         "127.0.0.1:0",
		"GATEHOUSE_MYSQL_DSN":      dsn,
		"GATEHOUSE_SMTP_URL":       s.Sink.URL(),
		"GATEHOUSE_ADMIN_TOKEN":    "bench-" + strings.ToLower(rand.Text()),
		"GATEHOUSE_SIGNING_SECRET": strings.ToLower(rand.Text() + rand.Text()),
		"GATEHOUSE_PAYLOAD_KEYS":   payloadcodec.NewRing("bench1"),
		"GATEHOUSE_DATA_DIR":       dataDir,
		// The load comes from one address at full speed: measuring the
		// limiter would only measure 429s.
		"GATEHOUSE_RATE_WEBHOOK": "off",
		"GATEHOUSE_RATE_PORTAL":  "off",
		"GATEHOUSE_LOG_LEVEL":    "warn",
		"GATEHOUSE_LOG_FORMAT":   "text",
	}
	if so.CPU != "" {
		env["GATEHOUSE_BENCH_CPUPROFILE"] = so.CPU
	}
	if so.Heap != "" {
		env["GATEHOUSE_BENCH_HEAPPROFILE"] = so.Heap
	}
	for _, kv := range so.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("stack setting %q: want KEY=VALUE", kv)
		}
		env[k] = v
	}
	if s.Config, err = config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		s.Sink.Close()
		return nil, err
	}
	if s.logf, err = os.Create(logPath); err != nil {
		s.Sink.Close()
		return nil, err
	}
	if so.Split {
		if err := s.startSplit(ctx, exe, dataDir, env); err != nil {
			s.Stop()
			return nil, err
		}
		for _, c := range s.children {
			s.Procs = append(s.Procs, c.Proc)
		}
		return s, s.connect(ctx, false)
	}
	cmd := exec.Command(exe, "-serve")
	cmd.Env = callerEnv()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = s.logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.Stop()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		s.Stop()
		return nil, err
	}
	s.cmd, s.PID = cmd, cmd.Process.Pid
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			fmt.Fprintln(s.logf, sc.Text())
			if !sent && strings.HasPrefix(sc.Text(), readyMarker) {
				lines <- strings.TrimPrefix(sc.Text(), readyMarker)
				sent = true
			}
		}
		io.Copy(io.Discard, out) //nolint:errcheck
		cmd.Wait()               //nolint:errcheck
		close(s.exited)
	}()
	var r ready
	select {
	case line := <-lines:
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			s.Stop()
			return nil, err
		}
	case <-s.exited:
		s.Stop()
		return nil, fmt.Errorf("the stack process exited before it served (see %s)", logPath)
	case <-time.After(5 * time.Minute):
		s.Stop()
		return nil, fmt.Errorf("the stack process did not serve within 5 minutes (see %s)", logPath)
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
	s.URL, s.Config.Temporal.Address = r.URL, r.Temporal
	s.Procs = []Proc{{Role: "stack", PID: s.PID}}
	return s, s.connect(ctx, true)
}

// connect opens the parent's clients (the Temporal one unless the split
// start has it already) and finds the database server; on error it stops
// everything.
func (s *Stack) connect(ctx context.Context, dial bool) (err error) {
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	if dial {
		if s.Temporal, err = temporalconn.Dial(ctx, s.Config.Temporal, logging.Stderr("text", slog.LevelWarn), client.Options{}); err != nil {
			return err
		}
	}
	if s.Store, err = store.Open(ctx, s.Config.MySQLDSN); err != nil {
		return err
	}
	s.DBPIDs = databasePIDs(ctx, s.Store)
	if len(s.DBPIDs) == 0 {
		return errors.New("no mariadbd or mysqld process found in /proc: the whole-stack CPU needs the database server on this machine")
	}
	return nil
}

// databasePIDs are the MariaDB/MySQL server processes on this machine:
// the one serving the bench's database when its pid file says which (a
// second server, such as the fault suite's, is not ours), else all.
func databasePIDs(ctx context.Context, st *store.Store) []int {
	all := findProcs("mariadbd", "mysqld")
	var pidFile string
	if err := st.DB().QueryRowContext(ctx, "SELECT @@pid_file").Scan(&pidFile); err != nil {
		return all
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return all
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || !slices.Contains(all, pid) {
		return all
	}
	return []int{pid}
}

// Stop ends the stack process (SIGTERM, then SIGKILL after 30 s) and the
// parent's clients.
func (s *Stack) Stop() {
	if s.Temporal != nil {
		s.Temporal.Close()
	}
	if s.Store != nil {
		s.Store.Close()
	}
	for i := len(s.children) - 1; i >= 0; i-- {
		s.children[i].stop(30 * time.Second)
	}
	if s.releasePorts != nil {
		s.releasePorts()
	}
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill() //nolint:errcheck
			<-s.exited
		}
	}
	if s.Sink != nil {
		s.Sink.Close()
	}
	if s.logf != nil {
		s.logf.Close()
	}
}
