package site

import (
	"encoding/json"
	"testing"
)

func TestTextShapes(t *testing.T) {
	var s Site
	err := json.Unmarshal([]byte(`{"id":"s1","languages":["en","de"],"webhooksiteregistration":{"completeTitle":"Done",
		"completeText":{"en":"Thanks","de":"Danke"},"languageMapping":[{"externalLanguageCode":"Deutsch","formkmsLanguage":"de"}]}}`), &s)
	if err != nil {
		t.Fatal(err)
	}
	s.ApplyDefaults()
	if errs := s.Validate(nil); len(errs) > 0 {
		t.Fatal(errs)
	}
	r := s.Registration
	if r.CompleteTitle.In("de", "en", "complete.title") != "Done" || r.CompleteText.In("de", "en", "complete.text") != "Danke" ||
		r.CompleteText.In("fr", "en", "complete.text") != "Thanks" {
		t.Fatalf("texts %+v %+v", r.CompleteTitle, r.CompleteText)
	}
	// A setting left at its default is shown in the page's language.
	if got := r.CompleteSubText.In("de", "en", "complete.subText"); got != "Melden Sie sich mit Ihrer E-Mail-Adresse und Ihrem Passwort an." {
		t.Fatalf("default in German: %q", got)
	}
	b, _ := json.Marshal(r)
	var back map[string]any
	json.Unmarshal(b, &back) //nolint:errcheck
	if back["completeTitle"] != "Done" || back["completeText"].(map[string]any)["de"] != "Danke" ||
		back["languageMapping"].([]any)[0].(map[string]any)["formkmsLanguage"] != "de" {
		t.Fatalf("answer %s", b)
	}
	if r.LanguageMapping[0].Language() != "de" {
		t.Fatal("formkmsLanguage not read")
	}
	// Languages the site does not have, and bad shapes.
	s.Registration.CompleteTitle = Text{ByLang: map[string]string{"fr": "Fini"}}
	if errs := s.Validate(nil); len(errs) != 1 || errs[0].Field != "webhooksiteregistration.completeTitle.fr" {
		t.Fatalf("errors %v", errs)
	}
	if err := json.Unmarshal([]byte(`{"webhooksiteregistration":{"completeTitle":3}}`), &s); err == nil {
		t.Fatal("a number accepted as a text")
	}
}
