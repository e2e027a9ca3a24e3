package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"gatehouse/internal/config"
	"gatehouse/internal/devtemporal"
	"gatehouse/internal/logging"
	"gatehouse/internal/temporalconn"
)

// engineWorker is the split stack's process for Noop (bench -serve-engine).
const engineWorker = "engine-worker"

// Proc is one process of the stack the bench measures.
type Proc struct {
	Role string // "stack" (everything in one process), or temporal, worker, gateway, engine-worker
	PID  int
}

// child is a process the bench started, with its output copied into the
// stack's log, each line headed by its role.
type child struct {
	Proc
	cmd    *exec.Cmd
	exited chan struct{}
	marked chan struct{} // closed when a line holding the marker was printed
}

// startChild runs path with env (and nothing of the caller's Gatehouse or
// Temporal settings). The child dies with the bench (Pdeathsig).
func startChild(role, path string, args, env []string, log *os.File, marker string) (*child, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = append(callerEnv(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("start %s: %w", role, err)
	}
	w.Close()
	c := &child{Proc: Proc{Role: role, PID: cmd.Process.Pid}, cmd: cmd, exited: make(chan struct{}), marked: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		seen := false
		for sc.Scan() {
			fmt.Fprintf(log, "%s: %s\n", role, sc.Text())
			if !seen && marker != "" && strings.Contains(sc.Text(), marker) {
				seen = true
				close(c.marked)
			}
		}
		r.Close()
		cmd.Wait() //nolint:errcheck
		close(c.exited)
	}()
	return c, nil
}

// callerEnv is the bench's environment without the caller's Gatehouse or
// Temporal settings: the stack gets only its own.
func callerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GATEHOUSE_") && !strings.HasPrefix(kv, "TEMPORAL_") {
			env = append(env, kv)
		}
	}
	return env
}

// startEngineWorker runs Noop on EngineQueue: in the stack process, or in
// the split stack's engine worker.
func startEngineWorker(c client.Client) (worker.Worker, error) {
	w := worker.New(c, EngineQueue, worker.Options{})
	w.RegisterWorkflow(Noop)
	return w, w.Start()
}

// stop asks the child to end (SIGTERM) and kills it after grace.
func (c *child) stop(grace time.Duration) {
	c.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
	select {
	case <-c.exited:
	case <-time.After(grace):
		c.cmd.Process.Kill() //nolint:errcheck
		<-c.exited
	}
}

// wait waits until ready returns true, the child exits or limit passes.
func (c *child) wait(ctx context.Context, limit time.Duration, ready func() bool) error {
	deadline := time.Now().Add(limit)
	for {
		if ready() {
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("the %s process exited before it was ready", c.Role)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the %s process was not ready within %s", c.Role, limit)
		}
	}
}

func (c *child) printed() bool {
	select {
	case <-c.marked:
		return true
	default:
		return false
	}
}

// startSplit starts the production shape, one of each: the Temporal server
// (internal/cmd/temporal, the same embedded server on SQLite files), a
// worker and a gateway, built from this module into dataDir/bin, plus this
// binary's -serve-engine for Noop. env is the configuration every process
// shares (the stack's, with its listen addresses replaced here).
func (s *Stack) startSplit(ctx context.Context, exe, dataDir string, env map[string]string) error {
	bin := filepath.Join(dataDir, "bin")
	if err := buildProduction(ctx, bin); err != nil {
		return err
	}
	ports, release, err := devtemporal.ReservePorts("127.0.0.1", 2)
	if err != nil {
		return err
	}
	s.releasePorts = release
	env["TEMPORAL_ADDRESS"] = "127.0.0.1:" + strconv.Itoa(ports[0])
	env["GATEHOUSE_HTTP_ADDR"] = "127.0.0.1:" + strconv.Itoa(ports[1])
	env["GATEHOUSE_PUBLIC_URL"] = "http://" + env["GATEHOUSE_HTTP_ADDR"]
	if env["GATEHOUSE_OUTBOUND_ALLOW_CIDRS"] == "" {
		// The receiver and the fake portal are on loopback (the dev stack
		// allows it by itself; the production binaries do not).
		env["GATEHOUSE_OUTBOUND_ALLOW_CIDRS"] = "127.0.0.0/8"
	}
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}

	migrate, err := startChild("migrate", filepath.Join(bin, "migrate"), nil, list, s.logf, "")
	if err != nil {
		return err
	}
	select {
	case <-migrate.exited:
		if code := migrate.cmd.ProcessState.ExitCode(); code != 0 {
			return fmt.Errorf("migrate exited with %d", code)
		}
	case <-ctx.Done():
		migrate.stop(time.Second)
		return ctx.Err()
	}

	start := func(role, path string, args ...string) (*child, error) {
		marker := ""
		switch role {
		case "temporal":
			marker = "temporal ready"
		case engineWorker:
			marker = readyMarker
		}
		c, err := startChild(role, path, args, list, s.logf, marker)
		if err == nil {
			s.children = append(s.children, c)
		}
		return c, err
	}
	tc, err := start("temporal", filepath.Join(bin, "temporal"), "-addr", env["TEMPORAL_ADDRESS"],
		"-db", filepath.Join(dataDir, "temporal", "temporal.sqlite"))
	if err != nil {
		return err
	}
	if err := tc.wait(ctx, 2*time.Minute, tc.printed); err != nil {
		return err
	}
	s.Config.Temporal.Address = env["TEMPORAL_ADDRESS"]
	if s.Temporal, err = temporalconn.Dial(ctx, s.Config.Temporal, logging.Stderr("text", slog.LevelWarn), client.Options{}); err != nil {
		return err
	}
	wc, err := start("worker", filepath.Join(bin, "worker"))
	if err != nil {
		return err
	}
	if err := wc.wait(ctx, time.Minute, func() bool { return s.polled(ctx, s.Config.Temporal.TaskQueue) }); err != nil {
		return err
	}
	ec, err := start(engineWorker, exe, "-serve-engine")
	if err != nil {
		return err
	}
	if err := ec.wait(ctx, time.Minute, ec.printed); err != nil {
		return err
	}
	gc, err := start("gateway", filepath.Join(bin, "gateway"))
	if err != nil {
		return err
	}
	s.URL = env["GATEHOUSE_PUBLIC_URL"]
	return gc.wait(ctx, time.Minute, func() bool {
		res, err := http.Get(s.URL + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
}

// polled: a worker polls queue for workflow tasks.
func (s *Stack) polled(ctx context.Context, queue string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	res, err := s.Temporal.DescribeTaskQueue(ctx, queue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	return err == nil && len(res.GetPollers()) > 0
}

// buildProduction builds the production binaries (and the standalone
// Temporal server and the migrations) from this module into dir.
func buildProduction(ctx context.Context, dir string) error {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	mod := strings.TrimSpace(string(out))
	if err != nil || mod == "" || mod == os.DevNull {
		return errors.New("-split builds the gateway, worker and Temporal binaries: run the bench inside the module")
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator),
		"./gateway", "./worker", "./internal/cmd/temporal", "./internal/cmd/migrate")
	cmd.Dir = filepath.Dir(mod)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, b)
	}
	return nil
}

// ServeEngine is `bench -serve-engine`, the split stack's worker for Noop
// on EngineQueue (in the one-process stack it runs inside -serve).
func ServeEngine(ctx context.Context) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	log := logging.Stderr("text", slog.LevelWarn)
	c, err := temporalconn.Dial(ctx, cfg.Temporal, log, client.Options{})
	if err != nil {
		return err
	}
	defer c.Close()
	w, err := startEngineWorker(c)
	if err != nil {
		return err
	}
	defer w.Stop()
	fmt.Println(readyMarker + "{}")
	<-ctx.Done()
	return nil
}
