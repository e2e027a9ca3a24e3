// Package testkit gives integration tests the real stack: a fresh MariaDB
// database per test package (dropped afterwards), the same embedded Temporal
// server as `make dev` (in memory), the SMTP sink, and the app wiring the
// binaries use. Use it from TestMain:
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
package testkit

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
	"go.temporal.io/sdk/client"

	"gatehouse/internal/config"
	"gatehouse/internal/devstack"
	"gatehouse/internal/devtemporal"
	"gatehouse/internal/logging"
	"gatehouse/internal/mailsink"
	"gatehouse/internal/payloadcodec/codectest"
	"gatehouse/internal/store"
	"gatehouse/internal/temporalconn"
)

// MySQLServerDSN is the MariaDB the tests use; GATEHOUSE_TEST_MYSQL overrides.
const MySQLServerDSN = "root@tcp(127.0.0.1:3306)/"

// AdminToken is the admin token of every test app.
const AdminToken = "test-admin-token-0123456789"

// Env is the per-package environment.
type Env struct {
	DSN  string // the package's own database, migrated
	Mail *mailsink.Sink
	Log  *slog.Logger

	temporalOnce sync.Once
	temporal     *devtemporal.Server
	temporalErr  error
}

var env *Env

// Main sets up the package environment, runs the tests and tears it down.
func Main(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testkit:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	ctx := context.Background()
	e := &Env{Log: testLogger()}
	// Tests cut connections on purpose; the driver would log each one.
	mysql.SetLogger(stdlog.New(io.Discard, "", 0))
	server := MySQLServerDSN
	if v := os.Getenv("GATEHOUSE_TEST_MYSQL"); v != "" {
		server = v
	}
	// One database per package run: packages run in parallel processes.
	name := "gatehouse_test_" + sanitize(strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")) + "_" + strings.ToLower(rand.Text()[:8])
	cfg, err := config.Load(mapLookup{"GATEHOUSE_MYSQL_DSN": server + name}.lookup)
	if err != nil {
		return 1, err
	}
	e.DSN = cfg.MySQLDSN
	if err := store.Migrate(ctx, e.DSN, e.Log); err != nil {
		return 1, fmt.Errorf("MariaDB on %s (start it with: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd): %w", server, err)
	}
	defer store.DropDatabase(context.Background(), e.DSN) //nolint:errcheck
	if e.Mail, err = mailsink.Start("127.0.0.1:0", 0); err != nil {
		return 1, err
	}
	defer e.Mail.Close()
	env = e
	defer func() {
		if e.temporal != nil {
			e.temporal.Stop()
		}
	}()
	return m.Run(), nil
}

// Get returns the package environment; TestMain must call Main.
func Get(t testing.TB) *Env {
	t.Helper()
	if env == nil {
		t.Fatal("testkit: call testkit.Main(m) from TestMain")
	}
	return env
}

// Temporal starts the package's Temporal server on first use.
func (e *Env) Temporal(t testing.TB) *devtemporal.Server {
	t.Helper()
	e.temporalOnce.Do(func() {
		e.temporal, e.temporalErr = devtemporal.Start(devtemporal.Options{
			FrontendAddr: "127.0.0.1:0",
			Namespace:    config.DefaultNamespace,
			Logger:       slog.New(slog.DiscardHandler),
		})
		// devtemporal.Start registers the search attributes through
		// searchattr.Ensure, the path an operator's setup takes.
	})
	if e.temporalErr != nil {
		t.Fatalf("testkit: temporal server: %v", e.temporalErr)
	}
	return e.temporal
}

// Config returns a configuration pointing at the package's database,
// Temporal server and mail sink, with a task queue of its own so tests in
// one package do not steal each other's tasks.
func (e *Env) Config(t testing.TB) config.Config {
	t.Helper()
	ts := e.Temporal(t)
	cfg, err := config.Load(mapLookup{
		"GATEHOUSE_MYSQL_DSN":            e.DSN,
		"GATEHOUSE_SMTP_URL":             e.Mail.URL(),
		"GATEHOUSE_ADMIN_TOKEN":          AdminToken,
		"GATEHOUSE_OUTBOUND_ALLOW_CIDRS": "127.0.0.0/8,::1/128",
		"GATEHOUSE_SIGNING_SECRET":       "test-installation-signing-secret",
		"GATEHOUSE_PAYLOAD_KEYS":         codectest.Keys,
		"GATEHOUSE_SHUTDOWN_TIMEOUT":     "5s",
		"TEMPORAL_ADDRESS":               ts.FrontendAddr(),
		"TEMPORAL_TASK_QUEUE":            "test-" + strings.ToLower(rand.Text()[:10]),
	}.lookup)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// App is a running gateway (behind httptest) and worker.
type App struct {
	*devstack.App
	URL string // the gateway's base URL
}

// StartApp starts worker and gateway with e.Config, after mutate (if any)
// adjusted it. Both stop when the test ends.
func (e *Env) StartApp(t testing.TB, mutate ...func(*config.Config)) *App {
	t.Helper()
	return e.StartAppLogged(t, nil, mutate...)
}

// StartAppLogged is StartApp with the app's logs written to w (nil: none).
func (e *Env) StartAppLogged(t testing.TB, w io.Writer, mutate ...func(*config.Config)) *App {
	t.Helper()
	log := e.Log
	if w != nil {
		log = logging.New(w, "json", slog.LevelDebug)
	}
	cfg := e.Config(t)
	for _, m := range mutate {
		m(&cfg)
	}
	// Listen first so links in emails can name the gateway's real URL.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL = "http://" + l.Addr().String()
	a, err := devstack.StartApp(context.Background(), cfg, log, nil)
	if err != nil {
		l.Close()
		t.Fatalf("testkit: start app: %v", err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: a.Handler}}
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		a.Stop()
	})
	return &App{App: a, URL: srv.URL}
}

// Client dials the package's Temporal server.
func (e *Env) Client(t testing.TB) client.Client {
	t.Helper()
	cfg := e.Config(t)
	c, err := temporalconn.Dial(context.Background(), cfg.Temporal, e.Log, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Store opens the package's database.
func (e *Env) Store(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), e.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type mapLookup map[string]string

func (m mapLookup) lookup(k string) (string, bool) { v, ok := m[k]; return v, ok }

// testLogger is silent unless GATEHOUSE_TEST_LOG=1: workers log after a
// test returns, which testing.T does not allow.
func testLogger() *slog.Logger {
	if os.Getenv("GATEHOUSE_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return logging.New(io.Writer(os.Stderr), "text", slog.LevelDebug)
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

func sanitize(s string) string {
	s = nonIdent.ReplaceAllString(strings.ToLower(s), "_")
	if len(s) > 20 {
		s = s[:20]
	}
	return s
}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
