package config

import (
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
		c.Temporal.TaskQueue != DefaultTaskQueue || c.PublicURL != DefaultPublicURL || c.DisableAfter != 5*24*time.Hour {
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
		"TEMPORAL_TLS":                   "maybe",
		"TEMPORAL_TLS_CLIENT_CERT_PATH":  "/nonexistent/cert.pem",
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

func TestValues(t *testing.T) {
	c, err := Load(lookup(map[string]string{
		"GATEHOUSE_SMTP_URL":        "smtp://u:p@relay.example:587?starttls=required",
		"GATEHOUSE_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16",
		"GATEHOUSE_DISABLE_AFTER":   "3d",
		"GATEHOUSE_PUBLIC_URL":      "https://portal.example/",
		"GATEHOUSE_ADMIN_TOKEN":     "0123456789abcdef",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[0].String() != "10.0.0.1/32" {
		t.Errorf("proxies: %v", c.TrustedProxies)
	}
	if c.DisableAfter != 72*time.Hour || c.PublicURL != "https://portal.example" || c.RequireAdminToken() != nil {
		t.Errorf("unexpected: %+v", c)
	}
}
