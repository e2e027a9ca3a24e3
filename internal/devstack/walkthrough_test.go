package devstack_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// walkthrough follows the README's first section against a running make
// dev: the printed curl registers a person on the seeded demo site, the
// dev mailbox has the link, the link's page signs them in, and the demo
// portal shows the verified claims.
func walkthrough(t *testing.T, base, dataDir, printed string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "demo-registration-key"))
	if err != nil {
		t.Fatalf("the demo site's key: %v", err)
	}
	key := strings.TrimSpace(string(b))
	if !strings.Contains(printed, "curl -d registrationKey="+key+" ") {
		t.Fatalf("the registration curl was not printed:\n%s", printed)
	}
	res, err := http.PostForm(base+"/webhooks/registration/demo", url.Values{"registrationKey": {key},
		"email": {"ada@example.com"}, "firstName": {"Ada"}, "lastName": {"Lovelace"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("registration: %d", res.StatusCode)
	}

	var link string
	for deadline := time.Now().Add(30 * time.Second); link == ""; {
		_, body := request(t, "GET", base+"/dev/mail.json", "")
		var box struct {
			Objects []struct {
				To   []string
				Text string
			}
		}
		json.Unmarshal([]byte(body), &box)
		for _, m := range box.Objects {
			if len(m.To) == 1 && m.To[0] == "ada@example.com" {
				link = regexp.MustCompile(`http\S+/magic-link\?token=\S+`).FindString(m.Text)
			}
		}
		if link == "" && time.Now().After(deadline) {
			t.Fatalf("no sign-in link in /dev/mail: %s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	res, err = browser.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	field := func(name string) string {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(string(page))
		if m == nil {
			t.Fatalf("the link's page has no %s field: %s", name, page)
		}
		return m[1]
	}
	req, _ := http.NewRequest("POST", base+"/magic-link", strings.NewReader(url.Values{
		"token": {field("token")}, "csrf": {field("csrf")}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	res, err = browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	portal, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Request.URL.Path != "/dev/portal" ||
		!strings.Contains(string(portal), "Signed in as <strong>ada@example.com</strong>") ||
		!strings.Contains(string(portal), "&#34;aud&#34;: &#34;demo&#34;") {
		t.Fatalf("after the link: %d %s\n%s", res.StatusCode, res.Request.URL, portal)
	}
}
