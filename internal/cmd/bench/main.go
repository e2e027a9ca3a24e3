// Command bench runs `make bench`: it starts the dev stack (file-backed
// embedded Temporal server, worker, gateway, a fresh database) as a process
// of its own (this binary with -serve), loads it from this process (which
// also runs the callback receiver, the mail sink and the fake portal), and
// writes bench/results/<time>.json and latest.json. CPU is read from /proc
// for the stack process and the MariaDB server.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"gatehouse/internal/bench"
	"gatehouse/internal/store"
)

func main() {
	serve := flag.Bool("serve", false, "run the stack process (the bench starts it itself)")
	out := flag.String("out", "bench/results", "directory for the JSON reports")
	short := flag.Bool("short", false, "a quick sanity run (1 round, 3 s phases; about 2 minutes)")
	conc := flag.Int("concurrency", 20, "concurrent callers in the closed-loop phases")
	dur := flag.Duration("duration", 10*time.Second, "load time of each phase")
	rounds := flag.Int("rounds", 3, "rounds; every phase runs once per round, the order alternating")
	rates := flag.String("rates", "20,50,100", "open-loop event rates (events/s), comma-separated")
	emailRate := flag.Float64("email-rate", 20, "registrations per second in the webhook → email phase")
	decisionRate := flag.Float64("decision-rate", 5, "approvals per second in the decision → portal callback phase")
	drain := flag.Duration("drain", 3*time.Minute, "how long a phase's work may take to finish after its load; longer marks the phase FAILED")
	only := flag.String("only", "", "run only the phases whose names start with one of these (comma-separated: engine, events, deliveries, registration, portal)")
	suffix := flag.String("name", "", "suffix of the report's file name (e.g. before)")
	note := flag.String("note", "", "a note kept in the report (what ran, how busy the machine was)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the stack process (gateway, worker, embedded Temporal) to this file")
	heapProfile := flag.String("heapprofile", "", "write a heap profile of the stack process after the last phase to this file")
	stackEnv := flag.String("stackenv", "", "settings for the stack process, KEY=VALUE separated by spaces (e.g. GATEHOUSE_WORKFLOW_CACHE=10000), for A/B runs")
	split := flag.Bool("split", false, "run the stack in the production shape: the Temporal server, a worker and a gateway as processes of their own (each one's CPU and RSS reported)")
	serveEngine := flag.Bool("serve-engine", false, "run the split stack's worker for the engine baselines (the bench starts it itself)")
	flag.Parse()
	switch {
	case *serveEngine:
		serveUntilSignal("-serve-engine", bench.ServeEngine)
		return
	case *serve:
		serveUntilSignal("-serve", bench.Serve)
		return
	}
	o := bench.Options{Concurrency: *conc, Duration: *dur, Rounds: *rounds, EmailRate: *emailRate,
		DecisionRate: *decisionRate, Drain: *drain}
	if *short {
		o.Duration, o.Rounds, o.Drain = 3*time.Second, 1, time.Minute
	}
	for s := range strings.SplitSeq(*rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || r <= 0 {
			fmt.Fprintln(os.Stderr, "bench: -rates: not a positive number:", s)
			os.Exit(2)
		}
		o.Rates = append(o.Rates, r)
	}
	if *only != "" {
		o.Only = strings.Split(*only, ",")
	}
	so := bench.StackOptions{Profiles: bench.Profiles{CPU: *cpuProfile, Heap: *heapProfile}, Env: strings.Fields(*stackEnv), Split: *split}
	if so.Split && (*cpuProfile != "" || *heapProfile != "") {
		fmt.Fprintln(os.Stderr, "bench: -cpuprofile and -heapprofile profile the one stack process: not with -split")
		os.Exit(2)
	}
	for _, p := range []*string{&so.CPU, &so.Heap} {
		if *p != "" {
			if abs, err := filepath.Abs(*p); err == nil {
				*p = abs
			}
		}
	}
	if err := run(*out, *suffix, *note, *short, so, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(outDir, suffix, note string, short bool, so bench.StackOptions, o bench.Options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "gatehouse-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dsn := os.Getenv("GATEHOUSE_MYSQL_DSN")
	if dsn == "" {
		dsn = "root@tcp(127.0.0.1:3306)/gatehouse_bench"
	}
	pdsn, err := mysql.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("GATEHOUSE_MYSQL_DSN: %w", err)
	}
	store.DropDatabase(ctx, dsn)                        //nolint:errcheck // start from an empty database
	defer store.DropDatabase(context.Background(), dsn) //nolint:errcheck
	logPath := filepath.Join(os.TempDir(), "gatehouse-bench-stack.log")
	t0 := time.Now()
	st, err := bench.StartStack(ctx, exe, dsn, filepath.Join(dir, "data"), logPath, so)
	if err != nil {
		return err
	}
	defer st.Stop()
	fmt.Fprintf(os.Stderr, "bench: stack %v up at %s in %.1fs (database %s, MariaDB pid %v; its log: %s); %d callers, %s per phase, %d rounds\n",
		st.Procs, st.URL, time.Since(t0).Seconds(), pdsn.DBName, st.DBPIDs, logPath, o.Concurrency, o.Duration, o.Rounds)

	load1, load5, _ := loadAvg()
	rep, err := bench.Run(ctx, st, o, os.Stderr)
	if err != nil {
		return err
	}
	end1, _, _ := loadAvg()
	rep.Machine = map[string]any{
		"cpus": runtime.NumCPU(), "go": runtime.Version(), "os": runtime.GOOS + "/" + runtime.GOARCH,
		"temporal": "embedded go.temporal.io/server, SQLite files", "database": "MariaDB (the machine's server)",
		"stack": stackShape(so.Split), "loadAvg5AtStart": load5,
		"loadAvg1AtStart": load1, "loadAvg1AtEnd": end1,
	}
	if note != "" {
		rep.Machine["note"] = note
	}
	if len(so.Env) > 0 {
		rep.Machine["stackEnv"] = so.Env
	}
	if short {
		rep.Machine["short"] = true
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	stem := rep.StartedAt.Format("20060102T150405Z")
	if suffix != "" {
		stem += "-" + suffix
	}
	name := filepath.Join(outDir, stem+".json")
	paths := []string{name}
	if !short {
		// A short run is a sanity check: latest.json keeps the last full run.
		paths = append(paths, filepath.Join(outDir, "latest.json"))
	}
	for _, p := range paths {
		if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	fmt.Println()
	bench.PrintSummary(os.Stdout, rep)
	fmt.Fprintln(os.Stderr, "bench: wrote", name)
	return nil
}

// loadAvg reads /proc/loadavg (the 1- and 5-minute load averages).
func loadAvg() (one, five float64, err error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, 0, fmt.Errorf("/proc/loadavg: %q", b)
	}
	one, _ = strconv.ParseFloat(f[0], 64)
	five, _ = strconv.ParseFloat(f[1], 64)
	return one, five, nil
}

// stackShape names how the stack ran, for the report.
func stackShape(split bool) string {
	if split {
		return "split: Temporal server, worker, gateway and the engine's worker as processes of their own"
	}
	return "one process: gateway, worker, embedded Temporal server"
}

// serveUntilSignal runs one of the processes the bench starts (role is its
// flag) until SIGINT or SIGTERM.
func serveUntilSignal(role string, serve func(context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "bench "+role+":", err)
		os.Exit(1)
	}
}
