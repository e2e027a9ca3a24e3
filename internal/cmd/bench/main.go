// Command bench runs `make bench`: it starts a dev stack of its own (file-
// backed Temporal server, mail sink, worker, gateway, a fresh database),
// loads it, and writes bench/results/<time>.json and latest.json.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/go-sql-driver/mysql"

	"gatehouse/internal/bench"
	"gatehouse/internal/config"
	"gatehouse/internal/devstack"
	"gatehouse/internal/logging"
	"gatehouse/internal/store"
)

type report struct {
	StartedAt    time.Time                 `json:"startedAt"`
	Machine      map[string]any            `json:"machine"`
	Registration *bench.RegistrationReport `json:"registration,omitempty"`
	Deliveries   *bench.DeliveryReport     `json:"deliveries,omitempty"`
}

func main() {
	out := flag.String("out", "bench/results", "directory for the JSON reports")
	conc := flag.Int("concurrency", 20, "concurrent callers in the throughput phases")
	dur := flag.Duration("duration", 10*time.Second, "length of each throughput phase")
	rounds := flag.Int("rounds", 3, "webhook phases, each between two engine phases")
	emailRate := flag.Float64("email-rate", 20, "webhooks per second in the email latency phase")
	emailFor := flag.Duration("email-for", 10*time.Second, "length of the email latency phase")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (all of the stack runs in this process)")
	only := flag.String("only", "", "run one part: registration or deliveries (default both)")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f) //nolint:errcheck
		defer pprof.StopCPUProfile()
	}
	if err := run(*out, *only, bench.Options{Concurrency: *conc, Duration: *dur, Rounds: *rounds, EmailRate: *emailRate, EmailFor: *emailFor}); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(outDir, only string, o bench.Options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log := logging.Stderr("text", slog.LevelWarn)
	dir, err := os.MkdirTemp("", "gatehouse-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg, err := config.Load(func(k string) (string, bool) {
		switch k {
		case "GATEHOUSE_HTTP_ADDR", "TEMPORAL_ADDRESS":
			return "127.0.0.1:0", true
		case "GATEHOUSE_MYSQL_DSN":
			if v := os.Getenv(k); v != "" {
				return v, true
			}
			return "root@tcp(127.0.0.1:3306)/gatehouse_bench", true
		case "GATEHOUSE_RATE_WEBHOOK":
			// The load comes from one address at full speed: measuring the
			// limiter would only measure 429s.
			return "off", true
		}
		return os.LookupEnv(k)
	})
	if err != nil {
		return err
	}
	cfg.SMTPURL = "" // the dev sink is the SMTP server measured
	dsn, _ := mysql.ParseDSN(cfg.MySQLDSN)
	store.DropDatabase(ctx, cfg.MySQLDSN)                        //nolint:errcheck // start from an empty database
	defer store.DropDatabase(context.Background(), cfg.MySQLDSN) //nolint:errcheck
	st, err := devstack.Start(ctx, cfg, devstack.Settings{DataDir: dir, UIAddr: "127.0.0.1:0", SMTPAddr: "127.0.0.1:0"}, log)
	if err != nil {
		return err
	}
	defer st.Stop()
	fmt.Fprintf(os.Stderr, "bench: stack up at %s (database %s); %d callers, %s per phase\n", st.URL, dsn.DBName, o.Concurrency, o.Duration)

	rep := report{StartedAt: time.Now().UTC(), Machine: map[string]any{
		"cpus": runtime.NumCPU(), "go": runtime.Version(), "os": runtime.GOOS + "/" + runtime.GOARCH,
		"temporal": "embedded go.temporal.io/server v1.32.1, SQLite file", "options": o,
	}}
	if only == "" || only == "registration" {
		reg, err := bench.Registration(ctx, st, o)
		if err != nil {
			return err
		}
		rep.Registration = &reg
	}
	if only == "" || only == "deliveries" {
		del, err := bench.Deliveries(ctx, st, o)
		if err != nil {
			return err
		}
		rep.Deliveries = &del
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	name := filepath.Join(outDir, rep.StartedAt.Format("20060102T150405Z")+".json")
	for _, p := range []string{name, filepath.Join(outDir, "latest.json")} {
		if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	fmt.Println(string(b))
	fmt.Fprintln(os.Stderr, "bench: wrote", name)
	return nil
}
