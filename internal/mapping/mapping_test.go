package mapping

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"gatehouse/internal/site"
)

func testSite() *site.Site {
	s := &site.Site{ID: "s1", Languages: []string{"en", "de", "pt-BR"}, DefaultLanguage: "en"}
	s.Registration.DefaultGroupID = "ep_attendees_123"
	s.Registration.FieldsMapping = []site.FieldMapping{
		{WebhookKey: "company", UserObjectKey: "company", RegistrationFormKey: "company"}, // both
		{WebhookKey: "title", UserObjectKey: "title", RegistrationFormKey: "title"},       // both
		{WebhookKey: "Industry"},                                 // reg form under webhook key
		{WebhookKey: "size", RegistrationFormKey: "companySize"}, // reg form under its own key
		{WebhookKey: "phone", UserObjectKey: "phone"},            // user object only
		{WebhookKey: "lang", UserObjectKey: "language"},
	}
	s.Registration.LanguageMapping = []site.LanguageMap{{ExternalLanguageCode: "DE_de", KMSLanguage: "de", GroupID: "german"}}
	s.ApplyDefaults()
	return s
}

// The seed's rules, field by field.
func TestApplySeedRules(t *testing.T) {
	s := testSite()
	r := Apply(s, Fields{
		"email": "  Ann@Example.COM ", "firstName": "Ann", "lastName": "Lee",
		"company": "ACME", "title": "CTO", "Industry": "Media", "size": "50", "phone": "+1 555",
		"lang": "de_DE", "utm_source": "mail", "registrationKey": "secret-must-not-be-stored",
	})
	if r.Email != "ann@example.com" || r.FirstName != "Ann" || r.LastName != "Lee" || r.Role != "viewerRole" {
		t.Fatalf("mandatory: %+v", r)
	}
	if want := map[string]string{"company": "ACME", "title": "CTO", "phone": "+1 555"}; !reflect.DeepEqual(r.UserObject, want) {
		t.Errorf("user object %v", r.UserObject)
	}
	if want := map[string]any{"company": "ACME", "title": "CTO", "Industry": "Media", "companySize": "50", "utm_source": "mail"}; !reflect.DeepEqual(r.RegistrationInfo, want) {
		t.Errorf("registration info %v", r.RegistrationInfo)
	}
	if r.Language != "de" || !reflect.DeepEqual(r.Groups, []string{"ep_attendees_123", "german"}) {
		t.Errorf("language %q groups %v", r.Language, r.Groups)
	}
}

func TestUnknownLanguageFallsBack(t *testing.T) {
	r := Apply(testSite(), Fields{"email": "a@b.co", "firstName": "A", "lastName": "B", "lang": "xx"})
	if r.Language != "en" || len(r.Notes) != 1 {
		t.Fatalf("%+v", r)
	}
	r = Apply(testSite(), Fields{"email": "a@b.co", "firstName": "A", "lastName": "B", "lang": "PT-br"})
	if r.Language != "pt-BR" {
		t.Fatalf("site language by code: %+v", r)
	}
}

func TestValidateNamesWebhookKeys(t *testing.T) {
	s := testSite()
	s.Registration.MandatoryFieldsMapping.EmailWebhookKey = "Email Address"
	errs := Validate(s, Apply(s, Fields{"Email Address": "not-an-email", "firstName": "A"}))
	got := map[string]string{}
	for _, e := range errs {
		got[e.Field] = e.Message
	}
	if got["Email Address"] != "is not a valid email address" || got["lastName"] != "is required" || len(got) != 2 {
		t.Fatalf("%v", got)
	}
}

func TestParseBodies(t *testing.T) {
	form, err := ParseBody("application/x-www-form-urlencoded", []byte("email=a%40b.co&tags=x&tags=y"), ParseOptions{})
	if err != nil || form["email"] != "a@b.co" || len(form["tags"].([]any)) != 2 {
		t.Fatalf("form %v %v", form, err)
	}
	multi := "--XX\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nm@b.co\r\n--XX--\r\n"
	mf, err := ParseBody("multipart/form-data; boundary=XX", []byte(multi), ParseOptions{})
	if err != nil || mf["email"] != "m@b.co" {
		t.Fatalf("multipart %v %v", mf, err)
	}
	body := `{"source":"fb","data":{"email":"j@b.co","answers":{"industry":"x","email":"ignored"},"extra":1}}`
	jf, err := ParseBody("application/json; charset=utf-8", []byte(body), ParseOptions{JSON: true, JSONKey: "data", RegInfoKeys: SplitKeys("email, answers")})
	if err != nil {
		t.Fatal(err)
	}
	// Only the listed keys (answers contributes its fields) and the kept
	// ones are read; source and extra are not mapped.
	if jf["email"] != "j@b.co" || jf["industry"] != "x" || jf["source"] != nil || jf["extra"] != nil || jf["answers"] != nil {
		t.Fatalf("json %v", jf)
	}
	kept, _ := ParseBody("application/json", []byte(body), ParseOptions{JSON: true, JSONKey: "data", RegInfoKeys: SplitKeys("answers"), Keep: []string{"email", "extra"}})
	if kept["email"] != "j@b.co" || String(kept["extra"]) != "1" || kept["source"] != nil {
		t.Fatalf("kept %v", kept)
	}
	all, _ := ParseBody("application/json", []byte(body), ParseOptions{JSON: true, JSONKey: "data"})
	if all["source"] != "fb" || String(all["extra"]) != "1" || all["answers"] == nil {
		t.Fatalf("without the setting every key is kept: %v", all)
	}
	for _, c := range []struct {
		ct, body string
		o        ParseOptions
		status   int
	}{
		{"application/json", `{}`, ParseOptions{}, 415},
		{"text/plain", `x`, ParseOptions{JSON: true}, 415},
		{"application/json", `[1]`, ParseOptions{JSON: true}, 400},
		{"application/json", `{"a":1}{}`, ParseOptions{JSON: true}, 400},
		{"application/json", `{"a":1}`, ParseOptions{JSON: true, JSONKey: "data"}, 400},
		{"application/json", `{"data":"x"}`, ParseOptions{JSON: true, JSONKey: "data"}, 400},
	} {
		_, err := ParseBody(c.ct, []byte(c.body), c.o)
		be, ok := err.(*BodyError)
		if !ok || be.Status != c.status {
			t.Errorf("%s %s: %v", c.ct, c.body, err)
		}
	}
}

func TestUnwrapKartraLead(t *testing.T) {
	f, _ := ParseBody("application/x-www-form-urlencoded",
		[]byte("lead%5Bemail%5D=k%40b.co&lead%5Bfirst_name%5D=K&lead%5Bcustom_fields%5D%5Bx%5D=1&action=tag"), ParseOptions{})
	u := UnwrapLead(f)
	if u["email"] != "k@b.co" || u["first_name"] != "K" || u["custom_fields[x]"] != "1" || u["action"] != "tag" {
		t.Fatalf("%v", u)
	}
	j := UnwrapLead(Fields{"lead": map[string]any{"email": "j@b.co"}})
	if j["email"] != "j@b.co" {
		t.Fatalf("%v", j)
	}
}

func TestUserIDIsStablePerPerson(t *testing.T) {
	if UserID("s1", " Ann@Example.com") != UserID("s1", "ann@example.com") || UserID("s1", "a@b.co") == UserID("s2", "a@b.co") {
		t.Fatal("user ids must depend on site and normalised email only")
	}
	if ParseTags("a, b,,a") == nil || strings.Join(ParseTags([]any{"x", "y"}), "|") != "x|y" {
		t.Fatal("tags")
	}
}

// FuzzParseAndMap: any body either fails with a BodyError or maps without
// panicking, and the result serialises.
func FuzzParseAndMap(f *testing.F) {
	f.Add("application/json", `{"data":{"email":"a@b.co","firstName":"A","lastName":"B","lang":"de_DE"}}`, true, "data", "email,answers")
	f.Add("application/x-www-form-urlencoded", "email=a%40b.co&firstName=A&lastName=B&company=ACME", false, "", "")
	f.Add("multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nm@b.co\r\n--XX--\r\n", false, "", "")
	f.Add("application/json", `{"answers":{"x":[1,{"y":null}]},"email":1e400}`, true, "", "answers")
	f.Fuzz(func(t *testing.T, ct, body string, isJSON bool, key, regKeys string) {
		s := testSite()
		fields, err := ParseBody(ct, []byte(body), ParseOptions{JSON: isJSON, JSONKey: key, RegInfoKeys: SplitKeys(regKeys)})
		if err != nil {
			if _, ok := err.(*BodyError); !ok {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		r := Apply(s, UnwrapLead(fields))
		_ = Validate(s, r)
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("registrant does not serialise: %v", err)
		}
	})
}

// A CR/LF in a name would start a new header in an email or a new property
// in an iCalendar invite: such registrations are refused, naming the field.
func TestControlCharactersAreRefusedNamingTheField(t *testing.T) {
	s := testSite()
	errs := Validate(s, Apply(s, Fields{"email": "a@b.co", "firstName": "Ann\r\nBcc: victim@x.co", "lastName": "Lee\x00",
		"company": "ACME\nInc", "title": "ok", "phone": "\xff\xfe"}))
	got := map[string]bool{}
	for _, e := range errs {
		if e.Message == "contains control characters or invalid UTF-8" {
			got[e.Field] = true
		}
	}
	for _, f := range []string{"firstName", "lastName", "company", "phone"} {
		if !got[f] {
			t.Errorf("%s not refused: %v", f, errs)
		}
	}
	if got["title"] || got["email"] {
		t.Errorf("clean fields refused: %v", errs)
	}
	if errs := Validate(s, Apply(s, Fields{"email": "a@b.co", "firstName": "Zoë", "lastName": "O'Brien-Łukasz"})); len(errs) != 0 {
		t.Fatalf("non-ASCII names refused: %v", errs)
	}
}
