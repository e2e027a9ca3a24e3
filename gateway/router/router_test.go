package router_test

import (
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"gatehouse/internal/config"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func TestHealthReadyAndSelfCheck(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	if code, _ := gatewaytest.Do(t, "GET", app.URL+"/healthz", "", nil); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	code, body := gatewaytest.Do(t, "GET", app.URL+"/readyz", "", nil)
	if code != 200 || body["status"] != "ready" {
		t.Fatalf("readyz %d %v", code, body)
	}
	code, body = gatewaytest.Do(t, "POST", app.URL+"/api/v1/selfcheck", testkit.AdminToken, nil)
	if code != 200 || body["status"] != "ok" {
		t.Fatalf("selfcheck %d %v", code, body)
	}
	if !strings.HasPrefix(body["workflowId"].(string), "SelfCheck:") {
		t.Fatalf("workflow id %v", body["workflowId"])
	}
}

func TestAdminTokenRequired(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	for _, token := range []string{"", "wrong-token-wrong-token", strings.ToUpper(testkit.AdminToken)} {
		code, body := gatewaytest.Do(t, "POST", app.URL+"/api/v1/selfcheck", token, nil)
		if code != 401 || body["code"] != "unauthorized" {
			t.Fatalf("token %q: %d %v", token, code, body)
		}
	}
}

func TestUnknownRouteAndMethodAreJSON(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	if code, body := gatewaytest.Do(t, "GET", app.URL+"/nope", "", nil); code != 404 || body["code"] != "not_found" {
		t.Fatalf("404: %d %v", code, body)
	}
	if code, body := gatewaytest.Do(t, "DELETE", app.URL+"/healthz", "", nil); code != 405 || body["code"] != "method_not_allowed" {
		t.Fatalf("405: %d %v", code, body)
	}
}

// readyz names the dependency that is down: each is reached through a
// proxy the test cuts.
func TestReadyzNamesTheFailingDependency(t *testing.T) {
	env := testkit.Get(t)
	temporalProxy := testkit.NewProxy(t, env.Temporal(t).FrontendAddr())
	mysqlProxy := testkit.NewProxy(t, "127.0.0.1:3306")
	var logs gatewaytest.SyncWriter
	app := env.StartAppLogged(t, &logs, func(c *config.Config) {
		c.Temporal.Address = temporalProxy.Addr()
		dsn, err := mysql.ParseDSN(c.MySQLDSN)
		if err != nil {
			t.Fatal(err)
		}
		dsn.Addr = mysqlProxy.Addr()
		c.MySQLDSN = dsn.FormatDSN()
	})
	if code, _ := gatewaytest.Do(t, "GET", app.URL+"/readyz", "", nil); code != 200 {
		t.Fatalf("readyz before cut: %d", code)
	}

	mysqlProxy.Cut()
	code, body := gatewaytest.Do(t, "GET", app.URL+"/readyz", "", nil)
	checks := body["checks"].(map[string]any)
	if code != 503 || !strings.HasPrefix(checks["mysql"].(string), "unreachable") || checks["temporal"] != "ok" {
		t.Fatalf("mysql cut: %d %v", code, body)
	}
	// Only which dependency failed: driver errors name addresses and users.
	if checks["mysql"] != "unreachable" || body["status"] != "unavailable" {
		t.Fatalf("mysql cut: the answer holds more than the failed check: %v", body)
	}
	if !strings.Contains(logs.String(), "readyz: mysql unreachable") {
		t.Fatal("the driver's error is not logged")
	}
	mysqlProxy.Restore()

	temporalProxy.Cut()
	code, body = gatewaytest.Do(t, "GET", app.URL+"/readyz", "", nil)
	checks = body["checks"].(map[string]any)
	if code != 503 || !strings.HasPrefix(checks["temporal"].(string), "unreachable") || checks["mysql"] != "ok" {
		t.Fatalf("temporal cut: %d %v", code, body)
	}
	if checks["temporal"] != "unreachable" {
		t.Fatalf("temporal cut: the answer holds more than the failed check: %v", body)
	}
	temporalProxy.Restore()

	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body = gatewaytest.Do(t, "GET", app.URL+"/readyz", "", nil)
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("did not recover: %v", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
