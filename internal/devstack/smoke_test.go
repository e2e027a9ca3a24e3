package devstack_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.temporal.io/sdk/client"

	"gatehouse/internal/payloadcodec"
	"gatehouse/internal/store"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// TestSmokeDevStack drives the `make dev` binary from outside: start it,
// wait for /readyz, run a workflow through the gateway, look at the Web UI
// and the mailbox, stop it with Ctrl-C, start it again and find the
// workflow still there.
func TestSmokeDevStack(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gatehouse-dev")
	build := exec.Command("go", "build", "-o", bin, "gatehouse/internal/cmd/dev")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}
	dsn, err := mysql.ParseDSN(testkit.Get(t).DSN)
	if err != nil {
		t.Fatal(err)
	}
	dsn.DBName += "_smoke" // does not exist yet: the stack must create it
	t.Cleanup(func() { store.DropDatabase(context.Background(), dsn.FormatDSN()) })
	dataDir := t.TempDir()
	httpAddr, temporalAddr, uiAddr := testkit.FreeAddr(t), testkit.FreeAddr(t), testkit.FreeAddr(t)
	env := append(os.Environ(),
		"GATEHOUSE_DATA_DIR="+dataDir,
		"GATEHOUSE_MYSQL_DSN="+dsn.FormatDSN(),
		"GATEHOUSE_HTTP_ADDR="+httpAddr,
		"GATEHOUSE_UI_ADDR="+uiAddr,
		"GATEHOUSE_DEV_SMTP_ADDR="+testkit.FreeAddr(t),
		"TEMPORAL_ADDRESS="+temporalAddr,
		"GATEHOUSE_PUBLIC_URL=", // follows GATEHOUSE_HTTP_ADDR: the walkthrough opens the emails' links
		"GATEHOUSE_ADMIN_TOKEN=", "GATEHOUSE_SMTP_URL=", "GATEHOUSE_PAYLOAD_KEYS=", "GATEHOUSE_UI_ORIGIN=",
	)
	base := "http://" + httpAddr

	stack := start(t, bin, env)
	waitReady(t, base+"/readyz")
	stack.waitBanner(t) // printed once the demo site is seeded, after the gateway is ready
	token, err := os.ReadFile(filepath.Join(dataDir, "admin-token"))
	if err != nil {
		t.Fatalf("generated admin token: %v", err)
	}
	if !strings.Contains(stack.out.String(), strings.TrimSpace(string(token))) {
		t.Fatal("the generated admin token was not printed")
	}

	code, body := request(t, "POST", base+"/api/v1/selfcheck", strings.TrimSpace(string(token)))
	if code != 200 {
		t.Fatalf("selfcheck: %d %s", code, body)
	}
	var check struct{ WorkflowID string }
	json.Unmarshal([]byte(body), &check)

	if code, body := request(t, "GET", "http://"+uiAddr+"/", ""); code != 200 || !strings.Contains(body, "<html") {
		t.Fatalf("web UI: %d", code)
	}
	if code, body := request(t, "GET", "http://"+uiAddr+"/api/v1/namespaces", ""); code != 200 || !strings.Contains(body, `"default"`) {
		t.Fatalf("web UI namespaces: %d %s", code, body)
	}
	// The UI decodes through the gateway's codec server, sending cookies;
	// the gateway lets the UI's origin (and only it) call across origins.
	code, body = request(t, "GET", "http://"+uiAddr+"/api/v1/settings", "")
	var settings struct {
		Codec struct {
			Endpoint           string
			IncludeCredentials bool
		}
	}
	if err := json.Unmarshal([]byte(body), &settings); code != 200 || err != nil ||
		settings.Codec.Endpoint != base+"/codec" || !settings.Codec.IncludeCredentials {
		t.Fatalf("web UI codec settings: %d %s", code, body)
	}
	preflight, _ := http.NewRequest("OPTIONS", base+"/codec/decode", nil)
	preflight.Header.Set("Origin", "http://"+uiAddr)
	preflight.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(preflight)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "http://"+uiAddr {
		t.Fatalf("codec preflight from the UI: %d %v", resp.StatusCode, resp.Header)
	}
	keys, err := os.ReadFile(filepath.Join(dataDir, "payload-keys"))
	if err != nil {
		t.Fatalf("generated payload keys: %v", err)
	}
	if code, body := request(t, "GET", base+"/dev/mail", ""); code != 200 || !strings.Contains(body, "Dev mailbox") {
		t.Fatalf("/dev/mail: %d", code)
	}
	if code, _ := request(t, "GET", base+"/dev/mail.json", ""); code != 200 {
		t.Fatalf("/dev/mail.json: %d", code)
	}
	// The demo portal fetches the gateway's JWKS (a signing key is made and
	// sealed with the generated payload key) and refuses a forged token.
	if code, body := request(t, "GET", base+"/dev/portal?id_token=eyJhbGciOiJFUzI1NiJ9.e30.AAAA", ""); code != 401 || !strings.Contains(body, "does not verify") {
		t.Fatalf("/dev/portal: %d %s", code, body)
	}
	if code, body := request(t, "GET", base+"/.well-known/jwks.json", ""); code != 200 || !strings.Contains(body, `"ES256"`) {
		t.Fatalf("jwks: %d %s", code, body)
	}

	if out := stack.out.String(); !strings.Contains(out, "access request 29 waits: the README") {
		t.Fatalf("first banner:\n%s", out)
	}
	walkthrough(t, base, dataDir, stack.out.String())
	portalWalkthrough(t, base, dataDir, stack.out.String(), strings.TrimSpace(string(token)))
	// The seeding never overwrites a site someone edited.
	demo := `{"name":"Edited","eventName":"Demo Summit","webhooksiteregistration":{"enabled":true,"authMethod":"magicLink"}}`
	if code, body := requestBody(t, "PUT", base+"/api/v1/sites/demo", strings.TrimSpace(string(token)), demo); code != 200 {
		t.Fatalf("edit the demo site: %d %s", code, body)
	}

	// Nor a portal.
	if code, body := requestBody(t, "PUT", base+"/api/v1/portals/dev-portal", strings.TrimSpace(string(token)), `{"name":"Edited portal","baseUrl":"http://127.0.0.1:9/"}`); code != 200 {
		t.Fatalf("edit the dev portal: %d %s", code, body)
	}

	stack.interrupt(t)

	// Workflows survive a restart: the server persisted to .data.
	stack = start(t, bin, env)
	waitReady(t, base+"/readyz")
	// The walkthrough decided access request 29: the banner no longer
	// sends the reader to approve it (the demo Tyk portal forgot it).
	stack.waitBanner(t)
	if out := stack.out.String(); !strings.Contains(out, "was decided on an earlier run") || strings.Contains(out, "waits: the README") {
		t.Fatalf("banner after the walkthrough:\n%s", out)
	}
	c, err := client.Dial(client.Options{HostPort: temporalAddr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if code, body := request(t, "GET", base+"/api/v1/sites/demo", strings.TrimSpace(string(token))); code != 200 || !strings.Contains(body, `"name":"Edited"`) {
		t.Fatalf("the demo site after a restart: %d %s", code, body)
	}
	if code, body := request(t, "GET", base+"/api/v1/portals/dev-portal", strings.TrimSpace(string(token))); code != 200 || !strings.Contains(body, `"name":"Edited portal"`) {
		t.Fatalf("the dev portal after a restart: %d %s", code, body)
	}
	desc, err := c.DescribeWorkflowExecution(context.Background(), check.WorkflowID, "")
	if err != nil {
		t.Fatalf("workflow %s after restart: %v", check.WorkflowID, err)
	}
	if s := desc.GetWorkflowExecutionInfo().GetStatus().String(); s != "Completed" {
		t.Fatalf("workflow status after restart: %s", s)
	}
	// Its payloads are sealed with the generated keys, which the restart
	// kept: the result decodes with them.
	ring, err := payloadcodec.ParseRing(strings.TrimSpace(string(keys)))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := payloadcodec.DataConverter(ring)
	if err != nil {
		t.Fatal(err)
	}
	dcClient, err := client.NewClientFromExisting(c, client.Options{DataConverter: dc})
	if err != nil {
		t.Fatal(err)
	}
	var result any
	if err := dcClient.GetWorkflow(context.Background(), check.WorkflowID, "").Get(context.Background(), &result); err != nil {
		t.Fatalf("selfcheck result with the generated keys: %v", err)
	}
	var raw any
	if err := c.GetWorkflow(context.Background(), check.WorkflowID, "").Get(context.Background(), &raw); err == nil {
		t.Fatalf("selfcheck result read without the keys: %v", raw)
	}
	stack.interrupt(t)
}

type process struct {
	cmd  *exec.Cmd
	out  *gatewaytest.SyncWriter
	done chan error
}

func start(t *testing.T, bin string, env []string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin), out: &gatewaytest.SyncWriter{}, done: make(chan error, 1)}
	p.cmd.Env = env
	p.cmd.Stdout = p.out
	p.cmd.Stderr = testWriter{t}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// interrupt sends Ctrl-C and expects a clean exit.
func (p *process) interrupt(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("dev stack exited with %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("dev stack did not stop within 60s of Ctrl-C")
	}
}

func (p *process) waitBanner(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(p.out.String(), "Ctrl-C stops everything"); {
		if time.Now().After(deadline) {
			t.Fatalf("no banner within 30s:\n%s", p.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s not ready within 90s", url)
}

func request(t *testing.T, method, url, token string) (int, string) {
	t.Helper()
	return requestBody(t, method, url, token, "")
}

func requestBody(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// testWriter sends the stack's logs to the test log only when it fails
// verbosely; t.Log is safe until the test returns, and the process is
// stopped before that.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	if testing.Verbose() {
		w.t.Log(strings.TrimRight(string(b), "\n"))
	}
	return len(b), nil
}
