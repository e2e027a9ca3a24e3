package devstack

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/config"
	"gatehouse/internal/devtemporal"
	"gatehouse/internal/mailsink"
	"gatehouse/internal/payloadcodec"
	"gatehouse/internal/store"
	"gatehouse/worker/wiring"
)

// Settings only the dev stack reads, on top of config.Config.
type Settings struct {
	DataDir  string // GATEHOUSE_DATA_DIR, default .data
	UIAddr   string // GATEHOUSE_UI_ADDR, default 127.0.0.1:8233
	SMTPAddr string // GATEHOUSE_DEV_SMTP_ADDR, default 127.0.0.1:1025
}

// SettingsFromEnv reads the dev-only variables.
func SettingsFromEnv() Settings {
	get := func(name, def string) string {
		if v := strings.TrimSpace(os.Getenv(name)); v != "" {
			return v
		}
		return def
	}
	return Settings{
		DataDir:  get("GATEHOUSE_DATA_DIR", ".data"),
		UIAddr:   get("GATEHOUSE_UI_ADDR", "127.0.0.1:8233"),
		SMTPAddr: get("GATEHOUSE_DEV_SMTP_ADDR", "127.0.0.1:1025"),
	}
}

// Stack is a running dev stack.
type Stack struct {
	Config   config.Config
	Temporal *devtemporal.Server
	Sink     *mailsink.Sink // nil when GATEHOUSE_SMTP_URL is set
	App      *App
	Demo     Demo      // the seeded demo site
	Portal   DevPortal // the seeded portal, pointing at the demo Tyk portal
	URL      string    // the gateway's base URL

	serverLevel *slog.LevelVar
	http        *http.Server
	served      chan error
	log         *slog.Logger
}

// Start brings everything up: migrations, mail sink, Temporal server and
// UI, worker and gateway.
func Start(ctx context.Context, cfg config.Config, s Settings, log *slog.Logger) (st *Stack, err error) {
	st = &Stack{log: log, served: make(chan error, 1)}
	defer func() {
		if err != nil {
			st.Stop()
			st = nil
		}
	}()
	if err := os.MkdirAll(s.DataDir, 0o755); err != nil {
		return st, err
	}
	if cfg.AdminToken == "" {
		token, err := adminToken(filepath.Join(s.DataDir, "admin-token"))
		if err != nil {
			return st, err
		}
		cfg.AdminToken = token
	}
	if cfg.SigningSecret == "" {
		secret, err := adminToken(filepath.Join(s.DataDir, "signing-secret"))
		if err != nil {
			return st, err
		}
		cfg.SigningSecret = secret
	}
	// The demo Tyk portal's admin token, which the seeded portal sends.
	tykToken, err := adminToken(filepath.Join(s.DataDir, "dev-tyk-token"))
	if err != nil {
		return st, err
	}
	tyk := newDevTyk(tykToken)
	if len(cfg.Temporal.PayloadKeys) == 0 {
		if cfg.Temporal.PayloadKeys, err = payloadKeys(filepath.Join(s.DataDir, "payload-keys")); err != nil {
			return st, err
		}
	}
	if len(cfg.OutboundAllowCIDRs) == 0 {
		// Local receivers are what a newcomer points callbacks at.
		for _, p := range []string{"127.0.0.0/8", "::1/128"} {
			pfx, _ := config.ParsePrefix(p)
			cfg.OutboundAllowCIDRs = append(cfg.OutboundAllowCIDRs, pfx)
		}
	}
	if err := store.Migrate(ctx, cfg.MySQLDSN, log); err != nil {
		return st, fmt.Errorf("GATEHOUSE_MYSQL_DSN: %w", err)
	}
	if cfg.SMTPURL == "" {
		if st.Sink, err = mailsink.Start(s.SMTPAddr, 500); err != nil {
			return st, fmt.Errorf("GATEHOUSE_DEV_SMTP_ADDR: %w", err)
		}
		cfg.SMTPURL = st.Sink.URL()
	}
	// Before the embedded server: its system workers make the process's
	// first worker, which sizes the workflow cache for all.
	wiring.SetWorkflowCache(cfg)
	// The server warns about every closed poll while it stops; once shutdown
	// begins only its errors are worth showing.
	st.serverLevel = new(slog.LevelVar)
	st.serverLevel.Set(slog.LevelWarn)
	serverLog := log.With("component", "temporal-server")
	// The gateway listens first: the UI is told its codec endpoint.
	l, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return st, fmt.Errorf("GATEHOUSE_HTTP_ADDR: %w", err)
	}
	cfg.HTTPAddr = l.Addr().String()
	st.URL = "http://" + cfg.HTTPAddr
	if st.Temporal, err = devtemporal.Start(devtemporal.Options{
		FrontendAddr:  cfg.Temporal.Address,
		UIAddr:        s.UIAddr,
		CodecEndpoint: st.URL + "/codec",
		DatabaseFile:  filepath.Join(s.DataDir, "temporal.sqlite"),
		Namespace:     cfg.Temporal.Namespace,
		Logger:        slog.New(levelFloor{serverLog.Handler(), st.serverLevel}),
	}); err != nil {
		l.Close()
		return st, err
	}
	cfg.Temporal.Address = st.Temporal.FrontendAddr()
	if cfg.UIOrigin == "" {
		cfg.UIOrigin = st.Temporal.UIURL()
	}
	st.Config = cfg
	if st.App, err = startApp(ctx, cfg, log, st.Sink, tyk); err != nil {
		l.Close()
		return st, err
	}
	st.http = &http.Server{Handler: st.App.Handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { st.served <- st.http.Serve(l) }()
	log.Info("gateway listening", "addr", cfg.HTTPAddr)
	if st.Demo, err = seedDemo(ctx, st.URL, cfg.PublicURL, cfg.AdminToken, s.DataDir); err != nil {
		return st, err
	}
	if st.Portal, err = seedDevPortal(ctx, st.URL, config.LoopbackURL(cfg.HTTPAddr)+DevTykPath, cfg.AdminToken, tykToken, s.DataDir); err != nil {
		return st, err
	}
	return st, nil
}

// Stop drains the gateway, stops the worker (in-flight activities finish
// within the shutdown timeout), then the Temporal server and the sink.
func (st *Stack) Stop() {
	if st.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), st.Config.ShutdownTimeout)
		st.http.Shutdown(ctx) //nolint:errcheck
		cancel()
		st.log.Info("gateway stopped")
	}
	if st.App != nil {
		st.App.Stop()
	}
	if st.Temporal != nil {
		st.serverLevel.Set(slog.LevelError)
		st.Temporal.Stop()
	}
	if st.Sink != nil {
		st.Sink.Close()
	}
}

// Run starts the stack, prints its URLs to out and blocks until ctx ends.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, s Settings, out io.Writer) error {
	st, err := Start(ctx, cfg, s, log)
	if err != nil {
		return err
	}
	defer st.Stop()
	cfg = st.Config
	fmt.Fprintf(out, `
Gatehouse dev stack is up
  gateway        %[1]s   (readiness: %[1]s/readyz)
  Temporal UI    %[2]s
  Temporal gRPC  %[3]s   namespace %[4]s, task queue %[5]s
  MySQL          %[6]s
  mail           %[7]s
  admin token    %[8]s
  UI payloads    decoded by %[1]s/codec once you sign in at %[1]s/codec/session
%[9]s
Ctrl-C stops everything.

`, st.URL, st.Temporal.UIURL(), st.Temporal.FrontendAddr(), cfg.Temporal.Namespace, cfg.Temporal.TaskQueue,
		redactDSN(cfg.MySQLDSN), mailLine(cfg, st.Sink), cfg.AdminToken, demoLines(cfg.PublicURL, st.Demo)+"\n"+portalLines(cfg.PublicURL, st.Portal))
	select {
	case <-ctx.Done():
		return nil
	case err := <-st.served:
		return err
	}
}

// startApp starts worker and gateway (devtemporal.Start registered the
// search attributes).
func startApp(ctx context.Context, cfg config.Config, log *slog.Logger, sink *mailsink.Sink, tyk *devTyk) (*App, error) {
	portal := devPortal(cfg.PublicURL)
	extra := func(r *gin.Engine) {
		r.GET("/dev/portal", portal)
		r.POST("/dev/portal", portal)
		r.Any(DevTykPath+"/*path", gin.WrapH(tyk.Handler()))
		if sink == nil {
			return
		}
		h := sink.Handler("/dev/mail")
		r.GET("/dev/mail", gin.WrapH(h))
		r.GET("/dev/mail.json", gin.WrapH(h))
		r.GET("/dev/mail/:id", gin.WrapH(h))
		r.GET("/dev/mail/:id/raw", gin.WrapH(h))
	}
	app, err := StartApp(ctx, cfg, log, extra)
	if err != nil {
		return nil, err
	}
	return app, nil
}

// payloadKeys reads the generated key ring, or makes one on first start.
// Losing it makes the payloads in .data/temporal.sqlite unreadable.
func payloadKeys(path string) (payloadcodec.Ring, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b = []byte(payloadcodec.NewRing("dev1"))
		err = os.WriteFile(path, append(b, '\n'), 0o600)
	}
	if err != nil {
		return nil, err
	}
	ring, err := payloadcodec.ParseRing(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ring, nil
}

// adminToken reads the generated token, or makes one on first start.
func adminToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	token := "dev-" + rand.Text()
	return token, os.WriteFile(path, []byte(token+"\n"), 0o600)
}

// demoLines tells a newcomer how to register someone on the demo site.
func demoLines(publicURL string, d Demo) string {
	if d.Key == "" {
		return fmt.Sprintf("  demo site      %s (it existed already; its registration key is not in the data directory)", d.SiteID)
	}
	return fmt.Sprintf(`  demo site      %[2]s, registration key %[3]s
  try it         curl -d registrationKey=%[3]s -d email=ada@example.com -d firstName=Ada -d lastName=Lovelace %[1]s/webhooks/registration/%[2]s
                 then open %[1]s/dev/mail, click the link, and %[1]s/dev/portal shows the verified sign-in`,
		publicURL, d.SiteID, d.Key)
}

// portalLines points at the README's portal walkthrough.
func portalLines(publicURL string, p DevPortal) string {
	state := "created now"
	if !p.Created {
		state = "it existed already and is left as it is"
	}
	waits := fmt.Sprintf(`its access request %d waits: the README's "Five more minutes" approves it`, DemoAccessRequestID)
	if p.DemoDecided {
		waits = fmt.Sprintf(`access request %d was decided on an earlier run (posting it again is a duplicate):
                 curl -s -X POST %s%s/access-requests makes a new one; use its ID in "Five more minutes"`,
			DemoAccessRequestID, publicURL, DevTykPath)
	}
	return fmt.Sprintf(`  demo Tyk       %[1]s%[2]s (admin API %[2]s/portal-api, token in %[6]s; what it received: %[1]s%[2]s/requests)
  portal         %[3]s (%[4]s; inbound secret in %[7]s), calls the demo Tyk portal back;
                 %[5]s`,
		publicURL, DevTykPath, p.PortalID, state, waits, p.TykTokenFile, p.SecretFile)
}

func mailLine(cfg config.Config, sink *mailsink.Sink) string {
	if sink == nil {
		return "sent through GATEHOUSE_SMTP_URL"
	}
	return fmt.Sprintf("dev sink smtp://%s, mailbox http://%s/dev/mail", sink.Addr(), cfg.HTTPAddr)
}

func redactDSN(dsn string) string {
	if at := strings.LastIndex(dsn, "@"); at > 0 {
		if colon := strings.Index(dsn[:at], ":"); colon >= 0 {
			return dsn[:colon] + ":***" + dsn[at:]
		}
	}
	return dsn
}

// levelFloor drops records below min: the server logs a lot at info.
type levelFloor struct {
	slog.Handler
	min slog.Leveler
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min.Level() && h.Handler.Enabled(ctx, l)
}

func (h levelFloor) WithAttrs(as []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(as), h.min}
}

func (h levelFloor) WithGroup(name string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(name), h.min}
}
