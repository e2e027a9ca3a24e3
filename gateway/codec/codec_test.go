package codec_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"gatehouse/gateway/codec"
	"gatehouse/internal/config"
	"gatehouse/internal/payloadcodec"
	"gatehouse/internal/searchattr"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
	"gatehouse/workflows"
)

func TestMain(m *testing.M) { testkit.Main(m) }

const uiOrigin = "http://127.0.0.1:8233"

func withUI(c *config.Config) { c.UIOrigin = uiOrigin }

// register sends one registration through the gateway, waits for its email
// and the waiting state (so activities ran and returned) and returns the workflow's raw history,
// read without any codec: what Temporal stores.
func register(t *testing.T, app *testkit.App, addr string) (string, *historypb.History) {
	t.Helper()
	siteID := gatewaytest.NewSite(t, app, nil, nil)
	res := gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Ada", "lastName", "Lovelace")
	if res.Status != http.StatusAccepted {
		t.Fatalf("register: %d %s", res.Status, res.Body)
	}
	wfID := res.JSON(t)["workflowId"].(string)
	gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Set your password"))
	gatewaytest.WaitState(t, app, wfID, gatewaytest.Status(workflows.StatusWaiting))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	h := &historypb.History{}
	it := app.Temporal.GetWorkflowHistory(ctx, wfID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	return wfID, h
}

// payloads collects every payload in a history's inputs, signals and
// (local) activity arguments and results.
func payloads(h *historypb.History) []*commonpb.Payload {
	var out []*commonpb.Payload
	for _, ev := range h.Events {
		var ps *commonpb.Payloads
		switch {
		case ev.GetWorkflowExecutionStartedEventAttributes() != nil:
			ps = ev.GetWorkflowExecutionStartedEventAttributes().GetInput()
		case ev.GetWorkflowExecutionSignaledEventAttributes() != nil:
			ps = ev.GetWorkflowExecutionSignaledEventAttributes().GetInput()
		case ev.GetActivityTaskScheduledEventAttributes() != nil:
			ps = ev.GetActivityTaskScheduledEventAttributes().GetInput()
		case ev.GetActivityTaskCompletedEventAttributes() != nil:
			ps = ev.GetActivityTaskCompletedEventAttributes().GetResult()
		}
		out = append(out, ps.GetPayloads()...)
		// Local activities record their arguments and results in markers.
		for _, d := range ev.GetMarkerRecordedEventAttributes().GetDetails() {
			out = append(out, d.GetPayloads()...)
		}
	}
	return out
}

// The registrant's email never reaches Temporal in the clear: every payload
// is sealed, and with GATEHOUSE_INDEX_EMAIL off no search attribute holds it.
func TestHistoryHoldsNoPersonalData(t *testing.T) {
	app := testkit.Get(t).StartApp(t, withUI)
	addr := gatewaytest.Email("ada")
	wfID, h := register(t, app, addr)
	ps := payloads(h)
	if len(ps) < 4 {
		t.Fatalf("only %d payloads in the history", len(ps))
	}
	for i, p := range ps {
		if enc := string(p.Metadata[converter.MetadataEncoding]); enc != payloadcodec.EncodingEncrypted {
			t.Fatalf("payload %d has encoding %q", i, enc)
		}
		if len(p.Metadata[payloadcodec.MetadataKeyID]) == 0 {
			t.Fatalf("payload %d names no key", i)
		}
	}
	raw, err := proto.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{addr, "Lovelace"} {
		if strings.Contains(strings.ToLower(string(raw)), strings.ToLower(secret)) {
			t.Fatalf("%q appears in the stored history", secret)
		}
	}
	desc, err := app.Temporal.DescribeWorkflowExecution(context.Background(), wfID, "")
	if err != nil {
		t.Fatal(err)
	}
	fields := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	if _, ok := fields[searchattr.Email.GetName()]; ok {
		t.Fatalf("GatehouseEmail set with GATEHOUSE_INDEX_EMAIL off: %v", fields)
	}
	if _, ok := fields[searchattr.Site.GetName()]; !ok {
		t.Fatalf("GatehouseSite missing: %v", fields)
	}
}

func TestIndexEmailOptIn(t *testing.T) {
	app := testkit.Get(t).StartApp(t, func(c *config.Config) { c.IndexEmail = true })
	addr := gatewaytest.Email("grace")
	wfID, _ := register(t, app, addr)
	desc, err := app.Temporal.DescribeWorkflowExecution(context.Background(), wfID, "")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[searchattr.Email.GetName()]
	if !ok || !strings.Contains(string(got.GetData()), addr) {
		t.Fatalf("GatehouseEmail with GATEHOUSE_INDEX_EMAIL on: %v", got)
	}
}

func codecBody(t *testing.T, ps []*commonpb.Payload) []byte {
	t.Helper()
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeAnswer(t *testing.T, r gatewaytest.Resp) []*commonpb.Payload {
	t.Helper()
	var out commonpb.Payloads
	if err := protojson.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatalf("%d %s: %v", r.Status, r.Body, err)
	}
	return out.Payloads
}

// The UI's decode call: with the admin token or a signed-in session it
// shows the registrant; without either it gets 401.
func TestCodecEndpointDecodesForOperatorsOnly(t *testing.T) {
	app := testkit.Get(t).StartApp(t, withUI)
	addr := gatewaytest.Email("codec")
	_, h := register(t, app, addr)
	body := codecBody(t, payloads(h))
	ns := "X-Namespace: " + app.Config.Temporal.Namespace

	res := gatewaytest.Send(t, "POST", app.URL+"/codec/decode", "application/json", body, ns, "Authorization: Bearer "+testkit.AdminToken)
	if res.Status != http.StatusOK || !strings.Contains(string(decodeAnswer(t, res)[0].Data), addr) {
		t.Fatalf("decode with token: %d %s", res.Status, res.Body)
	}

	for _, hdr := range [][]string{
		{ns},
		{ns, "Authorization: Bearer wrong-token-wrong-token"},
		{ns, "Origin: " + uiOrigin, "Cookie: " + codec.CookieName + "=forged"},
	} {
		if res := gatewaytest.Send(t, "POST", app.URL+"/codec/decode", "application/json", body, hdr...); res.Status != http.StatusUnauthorized ||
			strings.Contains(res.Body, addr) {
			t.Fatalf("decode with %v: %d %s", hdr, res.Status, res.Body)
		}
	}

	// The operator signs in on the gateway; the UI's fetch then carries the
	// cookie (includeCredentials) from the UI's origin.
	if res := gatewaytest.Send(t, "POST", app.URL+"/codec/session", "application/x-www-form-urlencoded",
		gatewaytest.Form("token", "not-the-admin-token")); res.Status != http.StatusUnauthorized || res.Header.Get("Set-Cookie") != "" {
		t.Fatalf("sign in with a wrong token: %d %v", res.Status, res.Header)
	}
	res = gatewaytest.Send(t, "POST", app.URL+"/codec/session", "application/x-www-form-urlencoded", gatewaytest.Form("token", testkit.AdminToken))
	cookies := (&http.Response{Header: res.Header}).Cookies()
	if res.Status != http.StatusOK || len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode ||
		cookies[0].Path != "/codec" {
		t.Fatalf("sign in: %d %v", res.Status, res.Header)
	}
	cookie := "Cookie: " + cookies[0].Name + "=" + cookies[0].Value
	res = gatewaytest.Send(t, "POST", app.URL+"/codec/decode", "application/json", body, ns, "Origin: "+uiOrigin, cookie)
	if res.Status != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != uiOrigin ||
		res.Header.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(string(decodeAnswer(t, res)[0].Data), addr) {
		t.Fatalf("decode with session from the UI: %d %v %s", res.Status, res.Header, res.Body)
	}
	// The same cookie sent by another site's page does not count.
	res = gatewaytest.Send(t, "POST", app.URL+"/codec/decode", "application/json", body, ns, "Origin: https://evil.example", cookie)
	if res.Status != http.StatusUnauthorized || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("decode with session from another origin: %d %v", res.Status, res.Header)
	}

	// Encode round-trips through decode; what it returns is sealed.
	plain, _ := converter.GetDefaultDataConverter().ToPayload("signal input from the UI")
	res = gatewaytest.Send(t, "POST", app.URL+"/codec/encode", "application/json", codecBody(t, []*commonpb.Payload{plain}), ns,
		"Authorization: Bearer "+testkit.AdminToken)
	sealed := decodeAnswer(t, res)
	if string(sealed[0].Metadata[converter.MetadataEncoding]) != payloadcodec.EncodingEncrypted {
		t.Fatalf("encode: %d %s", res.Status, res.Body)
	}
	// Payloads written before encryption (old histories) pass through.
	res = gatewaytest.Send(t, "POST", app.URL+"/codec/decode", "application/json", codecBody(t, []*commonpb.Payload{sealed[0], plain}), ns,
		"Authorization: Bearer "+testkit.AdminToken)
	back := decodeAnswer(t, res)
	if len(back) != 2 || !proto.Equal(back[0], plain) || !proto.Equal(back[1], plain) {
		t.Fatalf("decode sealed and plain: %v", back)
	}
}

// The browser's preflight succeeds for the UI's origin only, never with *.
func TestCodecCORSPreflight(t *testing.T) {
	app := testkit.Get(t).StartApp(t, withUI)
	preflight := func(origin string) gatewaytest.Resp {
		return gatewaytest.Send(t, "OPTIONS", app.URL+"/codec/decode", "", nil, "Origin: "+origin,
			"Access-Control-Request-Method: POST", "Access-Control-Request-Headers: content-type,x-namespace")
	}
	res := preflight(uiOrigin)
	if res.Status != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != uiOrigin ||
		res.Header.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")), "x-namespace") {
		t.Fatalf("preflight from the UI: %d %v", res.Status, res.Header)
	}
	for _, origin := range []string{"https://evil.example", "http://127.0.0.1:8234", "null"} {
		res := preflight(origin)
		if res.Status != http.StatusForbidden || res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("preflight from %s: %d %v", origin, res.Status, res.Header)
		}
	}
}
