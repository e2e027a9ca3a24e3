package pagetext

import "testing"

func TestPick(t *testing.T) {
	site := []string{"en", "de", "pt-BR"}
	cases := []struct {
		c    Choice
		want string
	}{
		{Choice{}, "en"},
		{Choice{User: "de"}, "de"},
		{Choice{User: "de", Query: "en", AcceptLanguage: "en"}, "de"}, // the user's language first
		{Choice{User: "fr", Query: "de"}, "de"},                       // a user language the site lacks: ?lang= next
		{Choice{Query: "DE"}, "de"},                                   // case
		{Choice{Query: "de-AT"}, "de"},                                // base language
		{Choice{Query: "pt_BR"}, "pt-BR"},                             // underscore
		{Choice{AcceptLanguage: "fr-CH, de;q=0.8, en;q=0.5"}, "de"},   // best match the site has
		{Choice{AcceptLanguage: "de-CH"}, "de"},                       // regional variant
		{Choice{AcceptLanguage: "pt-BR,pt;q=0.9"}, "pt-BR"},           // a regional site language
		{Choice{AcceptLanguage: "ja"}, "en"},                          // nothing matches: the default
		{Choice{AcceptLanguage: ";;garbage"}, "en"},                   // unreadable header
		{Choice{Query: "xx", AcceptLanguage: "de"}, "de"},             // unknown ?lang= falls through
	}
	for _, c := range cases {
		if got := Pick(site, "en", c.c); got != c.want {
			t.Errorf("%+v: %s, want %s", c.c, got, c.want)
		}
	}
	if got := Pick([]string{"de", "en"}, "de", Choice{AcceptLanguage: "ja"}); got != "de" {
		t.Errorf("site default: %s", got)
	}
}

func TestCatalogueIsComplete(t *testing.T) {
	for _, lang := range Languages() {
		for key := range catalogue[Fallback] {
			if !Has(lang, key) {
				t.Errorf("%s lacks %s", lang, key)
			}
		}
	}
	if T("de-AT", InvalidTitle) != catalogue["de"][InvalidTitle] || T("ja", InvalidTitle) != catalogue["en"][InvalidTitle] || T("de", "no.such.key") != "no.such.key" {
		t.Error("fallbacks")
	}
}
