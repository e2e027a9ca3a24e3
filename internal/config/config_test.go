package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func lookup(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	c, err := Load(lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != DefaultHTTPAddr || c.Temporal.Address != DefaultAddress || c.Temporal.Namespace != "default" ||
		c.Temporal.TaskQueue != DefaultTaskQueue || c.PublicURL != DefaultPublicURL || c.DisableAfter != 5*24*time.Hour ||
		c.WorkflowCache != DefaultWorkflowCache {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	for _, want := range []string{"parseTime=true", "/gatehouse?", "time_zone=%27%2B00%3A00%27"} {
		if !strings.Contains(c.MySQLDSN, want) {
			t.Errorf("DSN %q lacks %q", c.MySQLDSN, want)
		}
	}
	if c.RequireAdminToken() == nil {
		t.Error("an empty admin token must be refused by processes serving /api/v1")
	}
}

// Every bad value stops the process with one line naming the variable.
func TestBadValuesNameTheVariable(t *testing.T) {
	cases := map[string]string{
		"GATEHOUSE_HTTP_ADDR":            "8080",
		"GATEHOUSE_MYSQL_DSN":            "root@tcp(127.0.0.1:3306)/",
		"GATEHOUSE_SMTP_URL":             "http://mail:25",
		"GATEHOUSE_MAIL_FROM":            "not an address",
		"GATEHOUSE_PUBLIC_URL":           "ftp://x",
		"GATEHOUSE_ADMIN_TOKEN":          "short",
		"GATEHOUSE_LOG_LEVEL":            "loud",
		"GATEHOUSE_LOG_FORMAT":           "xml",
		"GATEHOUSE_TRUSTED_PROXIES":      "10.0.0.0/33",
		"GATEHOUSE_OUTBOUND_ALLOW_CIDRS": "localhost",
		"GATEHOUSE_DISABLE_AFTER":        "soon",
		"TEMPORAL_ADDRESS":               ":7233",
		"TEMPORAL_TASK_QUEUE":            "a b",
		"GATEHOUSE_CLIENT_IP_HEADER":     "X-Forwarded-For: 1.2.3.4",
		"TEMPORAL_TLS":                   "maybe",
		"TEMPORAL_TLS_CLIENT_CERT_PATH":  "/nonexistent/cert.pem",
		"GATEHOUSE_PAYLOAD_KEYS":         "k1:c2hvcnQ=",
		"GATEHOUSE_INDEX_EMAIL":          "perhaps",
		"GATEHOUSE_UI_ORIGIN":            "http://127.0.0.1:8233/namespaces",
		"GATEHOUSE_KALTURA_KS":           "too-short",
		"GATEHOUSE_RATE_WEBHOOK":         "600",
		"GATEHOUSE_RATE_PAGES":           "60/min burst x",
		"TEMPORAL_GRPC_COMPRESSION":      "zstd",
		"GATEHOUSE_WORKFLOW_CACHE":       "-1",
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(lookup(map[string]string{name: value}))
			if err == nil {
				t.Fatalf("%s=%q accepted", name, value)
			}
			if !strings.HasPrefix(err.Error(), name+": ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q does not start with %s on one line", err, name)
			}
		})
	}
}

// gzip only where there is a network to save: the embedded server and a
// sidecar are reached over loopback.
func TestGRPCCompression(t *testing.T) {
	for _, c := range []struct{ address, set, want string }{
		{"", "", "none"}, // the default address, 127.0.0.1:7233
		{"localhost:7233", "", "none"},
		{"[::1]:7233", "", "none"},
		{"temporal:7233", "", "gzip"},
		{"ns.acct.tmprl.cloud:7233", "", "gzip"},
		{"10.0.0.5:7233", "", "gzip"},
		{"127.0.0.1:7233", "gzip", "gzip"},
		{"temporal:7233", "NONE", "none"},
	} {
		env := map[string]string{"TEMPORAL_GRPC_COMPRESSION": c.set}
		if c.address != "" {
			env["TEMPORAL_ADDRESS"] = c.address
		}
		cfg, err := Load(lookup(env))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Temporal.Compression != c.want {
			t.Errorf("%q with %q: %q, want %q", c.address, c.set, cfg.Temporal.Compression, c.want)
		}
	}
}

func TestLoopbackURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"0.0.0.0:8080":   "http://127.0.0.1:8080",
		"[::]:8080":      "http://127.0.0.1:8080",
		"[::1]:8080":     "http://[::1]:8080",
		"localhost:8080": "http://localhost:8080",
	} {
		if got := LoopbackURL(in); got != want {
			t.Errorf("LoopbackURL(%q) = %q, want %q", in, got, want)
		}
	}
	if DefaultPublicURL != LoopbackURL(DefaultHTTPAddr) {
		t.Error("DefaultPublicURL must follow DefaultHTTPAddr")
	}
}

// Unset, the public URL follows the listen address: make dev on another
// port sends links that open.
func TestPublicURLFollowsHTTPAddr(t *testing.T) {
	c, err := Load(lookup(map[string]string{"GATEHOUSE_HTTP_ADDR": "0.0.0.0:18080"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "http://127.0.0.1:18080" {
		t.Errorf("public URL %q", c.PublicURL)
	}
	c, err = Load(lookup(map[string]string{"GATEHOUSE_HTTP_ADDR": "0.0.0.0:18080", "GATEHOUSE_PUBLIC_URL": "https://portal.example"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "https://portal.example" {
		t.Errorf("set public URL %q", c.PublicURL)
	}
}

func TestValues(t *testing.T) {
	c, err := Load(lookup(map[string]string{
		"GATEHOUSE_SMTP_URL":        "smtp://u:p@relay.example:587?starttls=required",
		"GATEHOUSE_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16",
		"GATEHOUSE_DISABLE_AFTER":   "3d",
		"GATEHOUSE_PUBLIC_URL":      "https://portal.example/",
		"GATEHOUSE_ADMIN_TOKEN":     "0123456789abcdef",
		"GATEHOUSE_WORKFLOW_CACHE":  "500",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.WorkflowCache != 500 {
		t.Errorf("workflow cache: %d", c.WorkflowCache)
	}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[0].String() != "10.0.0.1/32" {
		t.Errorf("proxies: %v", c.TrustedProxies)
	}
	if c.DisableAfter != 72*time.Hour || c.PublicURL != "https://portal.example" || c.RequireAdminToken() != nil {
		t.Errorf("unexpected: %+v", c)
	}
	if err := c.RequireGateway(); err == nil || !strings.HasPrefix(err.Error(), "GATEHOUSE_PAYLOAD_KEYS: ") {
		t.Errorf("gateway without payload keys: %v", err)
	}
}

func TestPayloadKeysIndexEmailAndUIOrigin(t *testing.T) {
	ring := "new:" + strings.Repeat("AQID", 10) + "BAU=,old:" + strings.Repeat("BQYH", 10) + "CAk="
	c, err := Load(lookup(map[string]string{
		"GATEHOUSE_PAYLOAD_KEYS": ring,
		"GATEHOUSE_INDEX_EMAIL":  "true",
		"GATEHOUSE_UI_ORIGIN":    "http://127.0.0.1:8233/",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Temporal.PayloadKeys) != 2 || c.Temporal.PayloadKeys[0].ID != "new" || c.RequirePayloadKeys() != nil {
		t.Errorf("keys: %v", c.Temporal.PayloadKeys)
	}
	if !c.IndexEmail || c.UIOrigin != "http://127.0.0.1:8233" {
		t.Errorf("index email %v, UI origin %q", c.IndexEmail, c.UIOrigin)
	}
	// The error names the variable but never repeats the key.
	_, err = Load(lookup(map[string]string{"GATEHOUSE_PAYLOAD_KEYS": "k1:" + strings.Repeat("AQID", 10)}))
	if err == nil || !strings.HasPrefix(err.Error(), "GATEHOUSE_PAYLOAD_KEYS: ") || strings.Contains(err.Error(), "AQID") {
		t.Errorf("30-byte key: %v", err)
	}
}

// Secrets copied from an example (docker-compose, the docs) are refused, so
// nobody runs production with a token that everyone can read.
func TestPlaceholderSecretsAreRefused(t *testing.T) {
	for name, value := range map[string]string{
		"GATEHOUSE_ADMIN_TOKEN":    "change-me-change-me-change-me",
		"GATEHOUSE_SIGNING_SECRET": "change-me-signing-secret",
		"TEMPORAL_API_KEY":         "xxxxxxxxxxxxxxxxxxxxxxxx",
		"GATEHOUSE_PAYLOAD_KEYS":   "k1:change-me",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(lookup(map[string]string{name: value}))
			if err == nil || !strings.HasPrefix(err.Error(), name+": ") || !strings.Contains(err.Error(), "placeholder") {
				t.Fatalf("%s=%q: got %v, want a placeholder error naming the variable", name, value, err)
			}
		})
	}
	if _, err := Load(lookup(map[string]string{"GATEHOUSE_ADMIN_TOKEN": "aaaaaaaaaaaaaaaaaaaa"})); err == nil {
		t.Fatal("a token of one repeated character was accepted")
	}
	if _, err := Load(lookup(map[string]string{"GATEHOUSE_ADMIN_TOKEN": "3f9c2a7d1e8b4c6a9f0e2d5b7c1a8e4f"})); err != nil {
		t.Fatalf("a generated token was refused: %v", err)
	}
}

// docker-compose.yml is what operators copy: it must not carry a usable
// secret, and only the gateway may listen beyond loopback (Temporal, its UI
// and Mailpit have no authentication of their own).
func TestComposeFileShipsNoSecretAndPublishesOnlyTheGateway(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, v := range []string{"GATEHOUSE_ADMIN_TOKEN", "GATEHOUSE_SIGNING_SECRET", "GATEHOUSE_PAYLOAD_KEYS"} {
		if !strings.Contains(text, "${"+v+":?") {
			t.Errorf("%s must be required (${%s:?...}), not defaulted", v, v)
		}
	}
	inPorts := false
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "ports:":
			inPorts = true
		case inPorts && strings.HasPrefix(trimmed, "- "):
			mapping := strings.Trim(strings.TrimPrefix(trimmed, "- "), `"`)
			if mapping != "8080:8080" && !strings.HasPrefix(mapping, "127.0.0.1:") {
				t.Errorf("port %q is published beyond loopback", mapping)
			}
		default:
			inPorts = false
		}
	}
}

func TestRates(t *testing.T) {
	c, err := Load(lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.RateWebhook != (Rate{600, 300}) || c.RatePages != (Rate{60, 30}) {
		t.Fatalf("default rates %+v %+v", c.RateWebhook, c.RatePages)
	}
	for v, want := range map[string]Rate{"10/s": {600, 300}, "120/min burst 5": {120, 5}, "600/h": {10, 5}, "off": {}, " 3/MIN ": {3, 1}} {
		c, err := Load(lookup(map[string]string{"GATEHOUSE_RATE_PAGES": v}))
		if err != nil || c.RatePages != want {
			t.Errorf("%q: %+v %v", v, c.RatePages, err)
		}
	}
	if !(Rate{}).Off() || (Rate{1, 1}).Off() {
		t.Error("Off")
	}
}

func TestKalturaKS(t *testing.T) {
	c, err := Load(lookup(map[string]string{"GATEHOUSE_KALTURA_KS": "kaltura-ks-0123456789"}))
	if err != nil || c.KalturaKS != "kaltura-ks-0123456789" {
		t.Fatalf("%+v %v", c.KalturaKS, err)
	}
	for _, v := range []string{"your-token-for-kaltura", "0123456789abcdef"} {
		_, err := Load(lookup(map[string]string{"GATEHOUSE_KALTURA_KS": v, "GATEHOUSE_ADMIN_TOKEN": "0123456789abcdef"}))
		if err == nil || !strings.HasPrefix(err.Error(), "GATEHOUSE_KALTURA_KS: ") {
			t.Errorf("%q: %v", v, err)
		}
	}
}
