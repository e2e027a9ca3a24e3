package faults

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/devtemporal"
	"gatehouse/internal/mailsink"
	"gatehouse/internal/payloadcodec"
)

// stack is the production shape on this machine: MariaDB, the Temporal
// server, two workers and two gateways as processes of their own, plus the
// SMTP sink and the HTTP receiver in the suite's process.
type stack struct {
	dir        string
	bin        string
	adminToken string
	db         string // database name
	mdb        *mariaDB
	temporal   *proc
	workers    []*proc
	gwProcs    []*proc
	gateways   []string // base URLs
	sink       *mailsink.Sink
	rc         *receiver
	// releasePorts gives back the ports the processes listen on.
	releasePorts func()

	siteID, siteKey           string
	probeSiteID, probeSiteKey string
	templateID                string
	channelID, probeChannelID string

	logf func(string, ...any)
}

// processes in start order.
func (s *stack) all() []*proc {
	out := []*proc{s.mdb.proc, s.temporal}
	out = append(out, s.workers...)
	return append(out, s.gwProcs...)
}

// startStack builds, installs and starts everything, then configures the
// sites, template and channels through the admin API.
func startStack(ctx context.Context, repo, dir string, logf func(string, ...any)) (*stack, error) {
	s := &stack{dir: dir, bin: filepath.Join(dir, "bin"), db: "gatehouse_faults", logf: logf,
		adminToken: "faults-" + strings.ToLower(rand.Text())}
	if err := buildBinaries(ctx, repo, s.bin, logf); err != nil {
		return nil, err
	}
	ports, release, err := devtemporal.ReservePorts("127.0.0.1", 4)
	if err != nil {
		return nil, err
	}
	s.releasePorts = release
	mysqlPort, temporalPort, gw1, gw2 := ports[0], ports[1], ports[2], ports[3]
	if s.mdb, err = newMariaDB(ctx, filepath.Join(dir, "mariadb"), mysqlPort); err != nil {
		return nil, err
	}
	if s.sink, err = mailsink.Start("127.0.0.1:0", 0); err != nil {
		return nil, err
	}
	if s.rc, err = startReceiver(); err != nil {
		return nil, err
	}
	temporalAddr := "127.0.0.1:" + strconv.Itoa(temporalPort)
	s.gateways = []string{"http://127.0.0.1:" + strconv.Itoa(gw1), "http://127.0.0.1:" + strconv.Itoa(gw2)}
	common := []string{
		"GATEHOUSE_MYSQL_DSN=" + s.mdb.dsn(s.db),
		"GATEHOUSE_SMTP_URL=" + s.sink.URL(),
		"GATEHOUSE_PUBLIC_URL=" + s.gateways[0],
		"GATEHOUSE_ADMIN_TOKEN=" + s.adminToken,
		"GATEHOUSE_OUTBOUND_ALLOW_CIDRS=127.0.0.0/8",
		"GATEHOUSE_SIGNING_SECRET=faults-signing-secret-0123456789",
		// One ring for every process: a payload one worker sealed, any opens.
		"GATEHOUSE_PAYLOAD_KEYS=" + payloadcodec.NewRing("faults"),
		"GATEHOUSE_LOG_FORMAT=json",
		"TEMPORAL_ADDRESS=" + temporalAddr,
	}
	s.temporal = &proc{name: "temporal", path: filepath.Join(s.bin, "temporal"), logPath: filepath.Join(dir, "temporal.log"),
		marker: "temporal ready", args: []string{"-addr", temporalAddr, "-db", filepath.Join(dir, "temporal", "temporal.sqlite")}}
	for i := range 2 {
		s.workers = append(s.workers, &proc{name: fmt.Sprintf("worker%d", i+1), path: filepath.Join(s.bin, "worker"),
			logPath: filepath.Join(dir, fmt.Sprintf("worker%d.log", i+1)), marker: "worker polling", env: common})
		env := append(append([]string(nil), common...), "GATEHOUSE_HTTP_ADDR="+strings.TrimPrefix(s.gateways[i], "http://"))
		s.gwProcs = append(s.gwProcs, &proc{name: fmt.Sprintf("gateway%d", i+1), path: filepath.Join(s.bin, "gateway"),
			logPath: filepath.Join(dir, fmt.Sprintf("gateway%d.log", i+1)), env: env})
	}

	t0 := time.Now()
	if err := s.mdb.start(ctx); err != nil {
		return s, err
	}
	logf("mariadb ready on 127.0.0.1:%d (%.1fs)", mysqlPort, time.Since(t0).Seconds())
	migrate := &proc{name: "migrate", path: filepath.Join(s.bin, "migrate"), logPath: filepath.Join(dir, "migrate.log"),
		marker: "schema up to date", env: common}
	if err := migrate.start(); err != nil {
		return s, err
	}
	if err := migrate.waitMarker(ctx, 60*time.Second); err != nil {
		return s, err
	}
	<-migrate.exited()
	t0 = time.Now()
	if err := s.temporal.start(); err != nil {
		return s, err
	}
	if err := s.temporal.waitMarker(ctx, 120*time.Second); err != nil {
		return s, err
	}
	logf("temporal ready on %s (%.1fs)", temporalAddr, time.Since(t0).Seconds())
	for i := range 2 {
		if err := s.startWorker(ctx, i); err != nil {
			return s, err
		}
		if err := s.startGateway(ctx, i); err != nil {
			return s, err
		}
	}
	logf("2 workers and 2 gateways ready (%s, %s)", s.gateways[0], s.gateways[1])
	return s, s.configure(ctx)
}

func (s *stack) startWorker(ctx context.Context, i int) error {
	if err := s.workers[i].start(); err != nil {
		return err
	}
	return s.workers[i].waitMarker(ctx, 60*time.Second)
}

func (s *stack) startGateway(ctx context.Context, i int) error {
	if err := s.gwProcs[i].start(); err != nil {
		return err
	}
	return waitHTTP(ctx, s.gateways[i]+"/readyz", http.StatusOK, 60*time.Second)
}

// stop ends every process, gateways first.
func (s *stack) stop() {
	procs := s.all()
	for i := len(procs) - 1; i >= 0; i-- {
		if procs[i] != nil {
			procs[i].stop(15 * time.Second)
		}
	}
	if s.sink != nil {
		s.sink.Close()
	}
	if s.rc != nil {
		s.rc.close()
	}
	if s.releasePorts != nil {
		s.releasePorts()
	}
}

// configure creates the load's site, template and channel and the probe's
// site and channel through the admin API, as an operator would.
func (s *stack) configure(ctx context.Context) error {
	tag := strings.ToLower(rand.Text()[:6])
	s.siteID, s.probeSiteID = "faults-"+tag, "faults-probe-"+tag
	for _, id := range []string{s.siteID, s.probeSiteID} {
		if _, err := s.admin(ctx, "PUT", "/api/v1/sites/"+id, map[string]any{
			"name": "Fault suite", "eventName": "Fault Summit",
			"webhooksiteregistration": map[string]any{"enabled": true},
		}, http.StatusCreated); err != nil {
			return err
		}
	}
	keyOf := func(id string) (string, error) {
		var r struct {
			RegistrationKey string `json:"registrationKey"`
		}
		b, err := s.admin(ctx, "POST", "/api/v1/sites/"+id+"/registration-key", nil, http.StatusOK)
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		return r.RegistrationKey, err
	}
	var err error
	if s.siteKey, err = keyOf(s.siteID); err != nil {
		return err
	}
	if s.probeSiteKey, err = keyOf(s.probeSiteID); err != nil {
		return err
	}
	channel := func(name, path, event string) (string, error) {
		var r struct {
			Channel struct {
				ID string `json:"id"`
			} `json:"channel"`
		}
		b, err := s.admin(ctx, "POST", "/api/v1/channels", map[string]any{
			"name": name, "targetUrl": s.rc.url + path, "events": []string{event}, "timeoutSeconds": 10, "retrySchedule": retrySchedule,
		}, http.StatusCreated)
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		return r.Channel.ID, err
	}
	if s.channelID, err = channel("faults load", "/hook/channel", loadEventType); err != nil {
		return err
	}
	if s.probeChannelID, err = channel("faults probe", "/probe", probeEventType); err != nil {
		return err
	}
	// A Kaltura HTTP template on the same event, with Standard Webhooks
	// headers so the receiver sees its delivery id too.
	form := url.Values{"ks": {s.adminToken}, "format": {"1"}}
	for k, v := range map[string]string{
		"[objectType]": "KalturaHttpNotificationTemplate", "[name]": "faults load", "[eventType]": loadEventType,
		"[eventObjectType]": loadObjectType, "[url]": s.rc.url + "/hook/template", "[standardWebhooks]": "1",
		"[retrySchedule]": retrySchedule,
	} {
		form.Set("eventNotificationTemplate"+k, v)
	}
	b, err := s.kaltura(ctx, "add", form)
	if err != nil {
		return err
	}
	var tpl struct {
		ID json.Number `json:"id"`
	}
	if err := json.Unmarshal(b, &tpl); err != nil || tpl.ID == "" {
		return fmt.Errorf("template add: %s", truncate(string(b), 300))
	}
	s.templateID = tpl.ID.String()
	if _, err := s.kaltura(ctx, "updateStatus", url.Values{"ks": {s.adminToken}, "format": {"1"}, "id": {s.templateID}, "status": {"2"}}); err != nil {
		return err
	}
	s.logf("configured site %s, probe site %s, template %s, channels %s and %s", s.siteID, s.probeSiteID, s.templateID, s.channelID, s.probeChannelID)
	return nil
}

// retrySchedule is the load's template and channel schedule: the default's
// shape (30s, 2m, 10m, ...) compressed, so a delivery that met the
// receiver's outage or a kill is retried within the drain's minutes.
const retrySchedule = "5s,10s,20s,30s,1m,2m,5m,10m,30m,1h"

// deliveryIDs are the webhook-ids an accepted load event must produce.
func (s *stack) deliveryIDs(eventID string) []string {
	return []string{
		"Delivery:" + eventID + ":template:" + s.templateID,
		"Delivery:" + eventID + ":channel:" + s.channelID,
	}
}

func (s *stack) admin(ctx context.Context, method, path string, body any, want int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.gateways[0]+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.adminToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(req, want)
}

func (s *stack) kaltura(ctx context.Context, action string, form url.Values) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "POST",
		s.gateways[0]+"/api_v3/service/eventnotification_eventnotificationtemplate/action/"+action, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	b, err := do(req, http.StatusOK)
	if err == nil && bytes.Contains(b, []byte(`"objectType":"KalturaAPIException"`)) {
		return b, fmt.Errorf("kaltura %s: %s", action, truncate(string(b), 300))
	}
	return b, err
}

func do(req *http.Request, want int) ([]byte, error) {
	c := &http.Client{Timeout: 15 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != want {
		return b, fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, res.StatusCode, truncate(string(b), 300))
	}
	return b, nil
}
