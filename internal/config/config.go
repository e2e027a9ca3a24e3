// Package config reads Gatehouse's settings from environment variables and
// validates them once, at start, so a bad value stops the process with one
// line naming the variable.
package config

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"gatehouse/internal/payloadcodec"
)

// Config is everything the gateway, the worker and the dev stack read from
// the environment. Field comments name the variable.
type Config struct {
	HTTPAddr    string // GATEHOUSE_HTTP_ADDR
	MySQLDSN    string // GATEHOUSE_MYSQL_DSN, normalised (parseTime, UTC)
	SMTPURL     string // GATEHOUSE_SMTP_URL; empty in make dev means "use the dev mail sink"
	MailFrom    string // GATEHOUSE_MAIL_FROM
	PublicURL   string // GATEHOUSE_PUBLIC_URL, without trailing slash
	AdminToken  string // GATEHOUSE_ADMIN_TOKEN
	KalturaKS   string // GATEHOUSE_KALTURA_KS: a ks that grants the Kaltura template service (api_v3) only
	LogLevel    slog.Level
	LogFormat   string // json | text
	MetricsAddr string // GATEHOUSE_METRICS_ADDR (worker only; the gateway serves /metrics itself)

	TrustedProxies     []netip.Prefix // GATEHOUSE_TRUSTED_PROXIES
	ClientIPHeader     string         // GATEHOUSE_CLIENT_IP_HEADER: the one header trusted proxies put the client in
	OutboundAllowCIDRs []netip.Prefix // GATEHOUSE_OUTBOUND_ALLOW_CIDRS
	OutboundRootCAs    *x509.CertPool // GATEHOUSE_OUTBOUND_CA_FILE added to the system roots; nil: system roots
	SigningSecret      string         // GATEHOUSE_SIGNING_SECRET
	DisableAfter       time.Duration  // GATEHOUSE_DISABLE_AFTER
	ShutdownTimeout    time.Duration  // GATEHOUSE_SHUTDOWN_TIMEOUT
	RelayGrace         time.Duration  // GATEHOUSE_RELAY_GRACE: how long after storing an event the relay may take it
	DispatchWorkers    int            // GATEHOUSE_DISPATCH_WORKERS: the gateway's fast path after the answer; 0: the relay only
	WorkflowCache      int            // GATEHOUSE_WORKFLOW_CACHE: workflows a worker process keeps in memory between their tasks
	// IndexEmail sets the GatehouseEmail search attribute (GATEHOUSE_INDEX_EMAIL).
	// Off by default: Temporal's docs forbid personal data in search
	// attributes; operators filter by site and find a person by user id
	// (the workflow id is Registration:<site>:<user>).
	IndexEmail bool
	// UIOrigin is the Temporal Web UI's origin (GATEHOUSE_UI_ORIGIN,
	// scheme://host[:port]) that may call the codec server across origins.
	UIOrigin    string
	RateWebhook Rate // GATEHOUSE_RATE_WEBHOOK: per site and client address
	RatePages   Rate // GATEHOUSE_RATE_PAGES: form posts per client address
	RatePortal  Rate // GATEHOUSE_RATE_PORTAL: portal webhooks per client address
	// Sign-in attempts (password checks, link and reset requests) per
	// account (site and email, known or not) and per client address: the
	// lockout after repeated failures.
	RateSignInAccount  Rate           // GATEHOUSE_RATE_SIGNIN_ACCOUNT
	RateSignInAddress  Rate           // GATEHOUSE_RATE_SIGNIN_ADDRESS
	SigningKeyRotation time.Duration  // GATEHOUSE_SIGNING_KEY_ROTATION: how long one ID-token key signs
	Temporal           TemporalConfig // TEMPORAL_*, GATEHOUSE_PAYLOAD_KEYS
}

// Rate is a token bucket: Burst requests at once, then PerMinute a minute.
// The zero Rate is off.
type Rate struct {
	PerMinute, Burst int
}

// Off reports whether no limit applies.
func (r Rate) Off() bool { return r.PerMinute <= 0 }

// TemporalConfig uses the variable names of Temporal's own environment
// configuration (the CLI and SDK envconfig read the same ones).
type TemporalConfig struct {
	Address       string // TEMPORAL_ADDRESS
	Namespace     string // TEMPORAL_NAMESPACE
	TaskQueue     string // TEMPORAL_TASK_QUEUE
	TLS           bool   // TEMPORAL_TLS
	TLSCertPath   string // TEMPORAL_TLS_CLIENT_CERT_PATH
	TLSKeyPath    string // TEMPORAL_TLS_CLIENT_KEY_PATH
	TLSCAPath     string // TEMPORAL_TLS_SERVER_CA_CERT_PATH
	TLSServerName string // TEMPORAL_TLS_SERVER_NAME
	APIKey        string // TEMPORAL_API_KEY
	// Compression of the gRPC requests to Temporal (TEMPORAL_GRPC_COMPRESSION:
	// gzip or none). Unset: none when TEMPORAL_ADDRESS is a loopback address
	// (the embedded server, a sidecar: no network to save, only CPU to
	// spend), gzip otherwise (the SDK's default).
	Compression string
	// PayloadKeys encrypt every payload sent to Temporal
	// (GATEHOUSE_PAYLOAD_KEYS, kid:base64-32-bytes[,...]; the first encrypts).
	PayloadKeys payloadcodec.Ring
}

// Defaults used when a variable is unset.
const (
	DefaultHTTPAddr  = "127.0.0.1:8080"
	DefaultMySQLDSN  = "root@tcp(127.0.0.1:3306)/gatehouse"
	DefaultMailFrom  = "Gatehouse <no-reply@gatehouse.localhost>"
	DefaultPublicURL = "http://127.0.0.1:8080" // LoopbackURL(DefaultHTTPAddr)
	DefaultAddress   = "127.0.0.1:7233"
	DefaultNamespace = "default"
	DefaultTaskQueue = "gatehouse"
	// Generous enough for a CRM's bulk import through one proxy address;
	// the fault suite sends about 8 registrations a second.
	DefaultRateWebhook = "600/min burst 300"
	DefaultRatePages   = "60/min burst 30"
	// A portal sends one webhook per event, in bursts (a bulk approval);
	// strangers get no more than this.
	DefaultRatePortal = "1200/min burst 200"
	// Five attempts at once, then one a minute per account; an address
	// (an office behind one NAT) gets more.
	DefaultRateSignInAccount = "1/min burst 5"
	DefaultRateSignInAddress = "10/min burst 20"
	// Enough to keep a 2-core machine's Temporal busy; more only queues
	// inside the frontend.
	DefaultDispatchWorkers = 8
	// A worker keeps this many workflows in memory between their tasks
	// (the SDK's sticky cache; its default is 10,000). A registration
	// waits there for days at about 40 KB of heap; one evicted from the
	// cache replays its history at its next task instead (under 1 ms of
	// CPU for a registration's, BenchmarkReplay, plus the history's fetch).
	// Deliveries and a registration's first steps finish within seconds,
	// well inside the cache at hundreds a second.
	DefaultWorkflowCache = 2000
)

// Lookup reads one variable; tests pass a map, processes pass os.LookupEnv.
type Lookup func(string) (string, bool)

// FromEnv loads the process environment.
func FromEnv() (Config, error) { return Load(os.LookupEnv) }

// Load reads and validates all variables. The error names the first bad one.
func Load(lookup Lookup) (Config, error) {
	r := reader{lookup: lookup}
	c := Config{
		HTTPAddr:    r.hostPort("GATEHOUSE_HTTP_ADDR", DefaultHTTPAddr),
		MySQLDSN:    r.dsn("GATEHOUSE_MYSQL_DSN", DefaultMySQLDSN),
		SMTPURL:     r.smtpURL("GATEHOUSE_SMTP_URL"),
		MailFrom:    r.mailFrom("GATEHOUSE_MAIL_FROM", DefaultMailFrom),
		PublicURL:   r.httpURL("GATEHOUSE_PUBLIC_URL", LoopbackURL(r.str("GATEHOUSE_HTTP_ADDR", DefaultHTTPAddr))),
		AdminToken:  r.token("GATEHOUSE_ADMIN_TOKEN"),
		KalturaKS:   r.token("GATEHOUSE_KALTURA_KS"),
		LogLevel:    r.level("GATEHOUSE_LOG_LEVEL"),
		LogFormat:   r.oneOf("GATEHOUSE_LOG_FORMAT", "json", "json", "text"),
		MetricsAddr: r.optionalHostPort("GATEHOUSE_METRICS_ADDR"),

		TrustedProxies:     r.prefixes("GATEHOUSE_TRUSTED_PROXIES"),
		ClientIPHeader:     r.headerName("GATEHOUSE_CLIENT_IP_HEADER", "X-Forwarded-For"),
		OutboundAllowCIDRs: r.prefixes("GATEHOUSE_OUTBOUND_ALLOW_CIDRS"),
		SigningSecret:      r.secret("GATEHOUSE_SIGNING_SECRET"),
		DisableAfter:       r.duration("GATEHOUSE_DISABLE_AFTER", 5*24*time.Hour),
		OutboundRootCAs:    r.caFile("GATEHOUSE_OUTBOUND_CA_FILE"),
		ShutdownTimeout:    r.duration("GATEHOUSE_SHUTDOWN_TIMEOUT", 30*time.Second),
		RelayGrace:         r.duration("GATEHOUSE_RELAY_GRACE", time.Second),
		DispatchWorkers:    r.count("GATEHOUSE_DISPATCH_WORKERS", DefaultDispatchWorkers, 256),
		WorkflowCache:      r.count("GATEHOUSE_WORKFLOW_CACHE", DefaultWorkflowCache, 1_000_000),
		IndexEmail:         r.boolean("GATEHOUSE_INDEX_EMAIL"),
		UIOrigin:           r.origin("GATEHOUSE_UI_ORIGIN"),
		RateWebhook:        r.rate("GATEHOUSE_RATE_WEBHOOK", DefaultRateWebhook),
		RatePages:          r.rate("GATEHOUSE_RATE_PAGES", DefaultRatePages),
		RatePortal:         r.rate("GATEHOUSE_RATE_PORTAL", DefaultRatePortal),
		RateSignInAccount:  r.rate("GATEHOUSE_RATE_SIGNIN_ACCOUNT", DefaultRateSignInAccount),
		RateSignInAddress:  r.rate("GATEHOUSE_RATE_SIGNIN_ADDRESS", DefaultRateSignInAddress),
		SigningKeyRotation: r.duration("GATEHOUSE_SIGNING_KEY_ROTATION", 30*24*time.Hour),
		Temporal: TemporalConfig{
			Address:       r.hostPort("TEMPORAL_ADDRESS", DefaultAddress),
			Namespace:     r.name("TEMPORAL_NAMESPACE", DefaultNamespace),
			TaskQueue:     r.name("TEMPORAL_TASK_QUEUE", DefaultTaskQueue),
			TLS:           r.boolean("TEMPORAL_TLS"),
			TLSCertPath:   r.file("TEMPORAL_TLS_CLIENT_CERT_PATH"),
			TLSKeyPath:    r.file("TEMPORAL_TLS_CLIENT_KEY_PATH"),
			TLSCAPath:     r.file("TEMPORAL_TLS_SERVER_CA_CERT_PATH"),
			TLSServerName: r.str("TEMPORAL_TLS_SERVER_NAME", ""),
			APIKey:        r.secret("TEMPORAL_API_KEY"),
			Compression:   r.oneOf("TEMPORAL_GRPC_COMPRESSION", defaultCompression(r.str("TEMPORAL_ADDRESS", DefaultAddress)), "gzip", "none"),
			PayloadKeys:   r.payloadKeys("GATEHOUSE_PAYLOAD_KEYS"),
		},
	}
	if r.err == nil && (c.Temporal.TLSCertPath == "") != (c.Temporal.TLSKeyPath == "") {
		r.fail("TEMPORAL_TLS_CLIENT_KEY_PATH", "must be set together with TEMPORAL_TLS_CLIENT_CERT_PATH")
	}
	if r.err == nil && c.SigningKeyRotation < time.Hour {
		r.fail("GATEHOUSE_SIGNING_KEY_ROTATION", "must be at least 1h")
	}
	if r.err == nil && c.KalturaKS != "" && c.KalturaKS == c.AdminToken {
		r.fail("GATEHOUSE_KALTURA_KS", "must differ from GATEHOUSE_ADMIN_TOKEN: it is the narrower credential")
	}
	return c, r.err
}

// RequireAdminToken is checked by the processes that serve /api/v1.
func (c Config) RequireAdminToken() error {
	if c.AdminToken == "" {
		return errors.New("GATEHOUSE_ADMIN_TOKEN: must be set (at least 16 characters); make dev generates one")
	}
	return nil
}

// RequirePayloadKeys is checked by the processes that talk to Temporal in
// production (gateway and worker): no payload leaves them unencrypted.
func (c Config) RequirePayloadKeys() error {
	if len(c.Temporal.PayloadKeys) == 0 {
		return errors.New("GATEHOUSE_PAYLOAD_KEYS: must be set (kid:base64 of 32 random bytes, e.g. k1:$(openssl rand -base64 32)); make dev generates one")
	}
	return nil
}

// RequireGateway is what the gateway binary needs on top of the defaults.
func (c Config) RequireGateway() error {
	if err := c.RequireAdminToken(); err != nil {
		return err
	}
	return c.RequirePayloadKeys()
}

// reader keeps the first error so Load reads top to bottom without noise.
type reader struct {
	lookup Lookup
	err    error
}

func (r *reader) fail(name, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
}

func (r *reader) str(name, def string) string {
	v, ok := r.lookup(name)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return def
	}
	return v
}

func (r *reader) hostPort(name, def string) string {
	v := r.str(name, def)
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		r.fail(name, "%q is not host:port", v)
		return v
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		r.fail(name, "port %q is not a number between 0 and 65535", port)
	}
	if host == "" && name == "TEMPORAL_ADDRESS" {
		r.fail(name, "names no host")
	}
	return v
}

func (r *reader) headerName(name, def string) string {
	v := r.str(name, def)
	for _, c := range v {
		if c > 0x7e || c <= ' ' || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c) {
			r.fail(name, "%q is not an HTTP header name", v)
			break
		}
	}
	return v
}

func (r *reader) optionalHostPort(name string) string {
	if r.str(name, "") == "" {
		return ""
	}
	return r.hostPort(name, "")
}

func (r *reader) dsn(name, def string) string {
	v := r.str(name, def)
	cfg, err := mysql.ParseDSN(v)
	if err != nil {
		r.fail(name, "not a MySQL DSN (user:pass@tcp(host:port)/db): %v", err)
		return v
	}
	if cfg.DBName == "" {
		r.fail(name, "names no database (add /gatehouse)")
		return v
	}
	// Timestamps are stored and read as UTC whatever the server's zone.
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.MultiStatements = true // goose migrations hold several statements
	// One round trip per statement instead of prepare, execute and close;
	// the driver refuses it for the few charsets where that is unsafe.
	cfg.InterpolateParams = true
	return cfg.FormatDSN()
}

func (r *reader) smtpURL(name string) string {
	v := r.str(name, "")
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		r.fail(name, "must look like smtp://[user:password@]host:port[?starttls=required|opportunistic|none] or smtps://...")
		return v
	}
	if u.Port() == "" {
		r.fail(name, "names no port")
	}
	switch u.Query().Get("starttls") {
	case "", "required", "opportunistic", "none":
	default:
		r.fail(name, "starttls must be required, opportunistic or none")
	}
	return v
}

func (r *reader) mailFrom(name, def string) string {
	v := r.str(name, def)
	if _, err := mail.ParseAddress(v); err != nil {
		r.fail(name, "%q is not a mail address: %v", v, err)
	}
	return v
}

func (r *reader) httpURL(name, def string) string {
	v := strings.TrimRight(r.str(name, def), "/")
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, "%q is not an http(s) URL", v)
	}
	return v
}

func (r *reader) token(name string) string {
	v := r.str(name, "")
	if v != "" && len(v) < 16 {
		r.fail(name, "must be at least 16 characters")
	}
	r.notPlaceholder(name, v)
	return v
}

func (r *reader) secret(name string) string {
	v, _ := r.lookup(name)
	v = strings.TrimSpace(v)
	r.notPlaceholder(name, v)
	return v
}

// placeholderWords mark values copied from an example instead of generated:
// a secret that anyone reading the docs knows is no secret.
var placeholderWords = []string{"change-me", "changeme", "change_me", "replace-me", "replaceme", "replace_me",
	"placeholder", "your-token", "your_token", "your-secret", "your_secret", "secret-here", "xxxxxxxx"}

// notPlaceholder refuses well-known placeholder values for secrets.
func (r *reader) notPlaceholder(name, v string) {
	lv := strings.ToLower(v)
	for _, w := range placeholderWords {
		if strings.Contains(lv, w) {
			r.fail(name, "looks like a placeholder (contains %q): generate one, e.g. openssl rand -hex 32", w)
			return
		}
	}
	if len(v) >= 8 && strings.Count(v, v[:1]) == len(v) {
		r.fail(name, "is one character repeated: generate one, e.g. openssl rand -hex 32")
	}
}

func (r *reader) payloadKeys(name string) payloadcodec.Ring {
	v := r.secret(name)
	if v == "" {
		return nil
	}
	ring, err := payloadcodec.ParseRing(v)
	if err != nil {
		r.fail(name, "%v", err)
	}
	return ring
}

// origin reads a browser origin: scheme://host[:port], nothing after.
func (r *reader) origin(name string) string {
	v := r.str(name, "")
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		r.fail(name, "%q is not an origin (scheme://host[:port])", v)
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func (r *reader) level(name string) slog.Level {
	v := r.str(name, "info")
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		r.fail(name, "%q is not one of debug, info, warn, error", v)
	}
	return l
}

// LoopbackURL is the gateway as this host reaches it: an unspecified
// listen address (0.0.0.0, ::) is dialled on loopback, which make dev's
// outbound allow-list lets through. Unset, GATEHOUSE_PUBLIC_URL is this, so
// links in make dev's emails follow GATEHOUSE_HTTP_ADDR.
func LoopbackURL(httpAddr string) string {
	host, port, err := net.SplitHostPort(httpAddr)
	if err != nil {
		return "http://" + httpAddr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// defaultCompression: none for a loopback Temporal address, where gzip
// only spends CPU (about 5 % of the dev stack's at 100 events/s, in the SDK and
// the server each way), gzip (the SDK's default) across a network.
func defaultCompression(address string) string {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return "gzip"
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return "none"
	}
	return "gzip"
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(r.str(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return def
}

func (r *reader) name(name, def string) string {
	v := r.str(name, def)
	if strings.ContainsAny(v, " \t/") {
		r.fail(name, "%q must not contain spaces or slashes", v)
	}
	return v
}

func (r *reader) boolean(name string) bool {
	v := r.str(name, "false")
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "%q is not true or false", v)
	}
	return b
}

func (r *reader) file(name string) string {
	v := r.str(name, "")
	if v == "" {
		return ""
	}
	if _, err := os.Stat(v); err != nil {
		r.fail(name, "cannot read %q: %v", v, err)
	}
	return v
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := parseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "%q is not a positive duration (e.g. 90s, 2h, 5d)", v)
		return def
	}
	return d
}

// count reads a whole number from 0 to max.
func (r *reader) count(name string, def, max int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > max {
		r.fail(name, "%q is not a whole number from 0 to %d", v, max)
		return def
	}
	return n
}

// rate reads "N/s", "N/min" or "N/h", optionally followed by " burst B"
// (default: half a minute's worth, at least 1), or "off".
func (r *reader) rate(name, def string) Rate {
	v := strings.ToLower(r.str(name, def))
	if v == "off" {
		return Rate{}
	}
	bad := func() Rate {
		r.fail(name, "%q is not N/s, N/min or N/h with an optional burst B (e.g. 600/min burst 300), or off", v)
		return Rate{}
	}
	spec, burst, hasBurst := strings.Cut(v, "burst")
	n, unit, ok := strings.Cut(strings.TrimSpace(spec), "/")
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || count <= 0 {
		return bad()
	}
	var per int
	switch strings.TrimSpace(unit) {
	case "s", "sec", "second":
		per = count * 60
	case "min", "m", "minute":
		per = count
	case "h", "hour":
		per = max(count/60, 1)
	default:
		return bad()
	}
	b := max(per/2, 1)
	if hasBurst {
		if b, err = strconv.Atoi(strings.TrimSpace(burst)); err != nil || b <= 0 {
			return bad()
		}
	}
	return Rate{PerMinute: per, Burst: b}
}

// parseDuration accepts Go durations plus a whole-day suffix ("5d").
func parseDuration(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

// caFile reads a PEM bundle of extra CAs that callback receivers' TLS
// certificates may chain to (private CAs), on top of the system roots.
func (r *reader) caFile(name string) *x509.CertPool {
	path := r.str(name, "")
	if path == "" {
		return nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		r.fail(name, "cannot read %s: %v", path, err)
		return nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		r.fail(name, "%s holds no PEM certificate", path)
		return nil
	}
	return pool
}

// prefixes reads a comma or space separated list of IPs and CIDRs.
func (r *reader) prefixes(name string) []netip.Prefix {
	v := r.str(name, "")
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ' ' }) {
		p, err := ParsePrefix(f)
		if err != nil {
			r.fail(name, "%q is neither an IP nor a CIDR", f)
			return nil
		}
		out = append(out, p)
	}
	return out
}

// ParsePrefix accepts "10.0.0.0/8" as well as a bare address.
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
