package emailtmpl

import (
	"strings"
	"testing"
	"unicode"
)

// Whatever a registrant sends, the subject stays one line and the HTML body
// carries no markup of theirs.
func FuzzRender(f *testing.F) {
	f.Add("Ann", "Lee", "ann@example.test", "Summit <b>", "https://x.test/?a=1&b=2", "company", "ACME\r\nBcc: x@y.z")
	f.Add("", "", "", "", "", "", "")
	f.Add("\x00\xff", "<script>", "\"'", "{FIRSTNAME}", "javascript:alert(1)", "k", "{FIELD:k}")
	f.Fuzz(func(t *testing.T, first, last, email, event, url, key, field string) {
		tmpl := EmailTemplate{ID: "t", Subject: "Hi {FIRSTNAME} {FIELD:k} {EVENT_NAME}",
			HTML: "<p>{FIRSTNAME} {LASTNAME} {EMAIL} {EVENT_NAME} <a href=\"{URL}\">x</a> {FIELD:k}</p>",
			Text: "{FIRSTNAME} {URL}"}
		v := Values{FirstName: first, LastName: last, Email: email, EventName: event, URL: url,
			Fields: map[string]string{"k": field, key: field}}
		r := tmpl.Render("en", v)
		if strings.IndexFunc(r.Subject, unicode.IsControl) >= 0 {
			t.Fatalf("control character in subject %q", r.Subject)
		}
		inner := strings.TrimSuffix(strings.TrimPrefix(r.HTML, "<p>"), "</p>")
		inner = strings.Replace(inner, "<a href=\"", "", 1)
		inner = strings.Replace(inner, "\">x</a>", "", 1)
		if strings.ContainsAny(inner, "<>\"") {
			t.Fatalf("unescaped markup in %q", r.HTML)
		}
	})
}
