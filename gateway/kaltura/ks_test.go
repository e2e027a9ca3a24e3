package kaltura_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"gatehouse/internal/config"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

const kalturaKS = "kaltura-only-credential-0123456789"

const listURL = "/api_v3/service/eventnotification_eventnotificationtemplate/action/list"

// ks is only read from a POST body; GATEHOUSE_KALTURA_KS grants this
// service and nothing else; the admin token still works in the body.
func TestKalturaKS(t *testing.T) {
	app := testkit.Get(t).StartApp(t, func(c *config.Config) { c.KalturaKS = kalturaKS })
	form := "application/x-www-form-urlencoded"
	invalidKS := func(name string, r gatewaytest.Resp) {
		t.Helper()
		if m := r.JSON(t); r.Status != http.StatusUnauthorized || m["code"] != "INVALID_KS" || m["objectType"] != "KalturaAPIException" {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	for _, ks := range []string{kalturaKS, testkit.AdminToken} {
		invalidKS("GET with ks in the query", gatewaytest.Send(t, "GET", app.URL+listURL+"?format=1&ks="+ks, "", nil))
		invalidKS("POST with ks in the query", gatewaytest.Send(t, "POST", app.URL+listURL+"?ks="+ks, form, gatewaytest.Form("format", "1")))
		invalidKS("POST with ks in both", gatewaytest.Send(t, "POST", app.URL+listURL+"?ks="+ks, form, gatewaytest.Form("ks", ks, "format", "1")))
		if r := gatewaytest.Send(t, "POST", app.URL+listURL, form, gatewaytest.Form("ks", ks, "format", "1")); r.Status != 200 {
			t.Errorf("ks in the body: %d %s", r.Status, r.Body)
		}
	}
	invalidKS("wrong ks", gatewaytest.Send(t, "POST", app.URL+listURL, form, gatewaytest.Form("ks", kalturaKS+"x", "format", "1")))
	// The Kaltura credential is not an admin token.
	if code, body := gatewaytest.Do(t, "POST", app.URL+"/api/v1/selfcheck", kalturaKS, nil); code != http.StatusUnauthorized {
		t.Fatalf("the Kaltura ks reached /api/v1: %d %v", code, body)
	}
}

// A template saved before keys pasted into sslCertificate were moved to
// the write-only key: no answer shows the key.
func TestStoredPastedKeyIsNotShown(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	certPEM, keyPEM := gatewaytest.SelfSigned(t, "legacy")
	add := gatewaytest.Kaltura(t, app, "add", gatewaytest.Tpl("[objectType]", "KalturaHttpNotificationTemplate", "[name]", gatewaytest.Unique("legacy"),
		"[eventType]", "2", "[eventObjectType]", "1", "[url]", "https://example.com/hook", "[sslCertificate]", certPEM, "[sslKey]", keyPEM)...)
	if add.Status != 200 {
		t.Fatalf("add: %d %s", add.Status, add.Body)
	}
	id, _ := strconv.ParseInt(fmt.Sprint(add.JSON(t)["id"]), 10, 64)
	ctx := context.Background()
	tpl, sec, err := app.Store.GetNotificationTemplate(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	tpl.SSLCertificate = certPEM + keyPEM // as an older version stored it
	if err := app.Store.UpdateNotificationTemplate(ctx, &tpl, sec); err != nil {
		t.Fatal(err)
	}
	sid := strconv.FormatInt(id, 10)
	for name, r := range map[string]gatewaytest.Resp{
		"get":    gatewaytest.Kaltura(t, app, "get", "id", sid),
		"list":   gatewaytest.Kaltura(t, app, "list", "filter[idEqual]", sid),
		"clone":  gatewaytest.Kaltura(t, app, "clone", append([]string{"id", sid}, gatewaytest.Tpl("[objectType]", "KalturaHttpNotificationTemplate", "[name]", gatewaytest.Unique("copy"))...)...),
		"update": gatewaytest.Kaltura(t, app, "update", append([]string{"id", sid}, gatewaytest.Tpl("[objectType]", "KalturaHttpNotificationTemplate", "[description]", "d")...)...),
	} {
		if r.Status != 200 || strings.Contains(r.Body, "PRIVATE KEY") || !strings.Contains(r.Body, "BEGIN CERTIFICATE") {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
}
