package pagetext

import (
	"regexp"
	"slices"
	"testing"
)

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

var verb = regexp.MustCompile(`%(\[\d+\])?[a-z]`)

// Every language has every key, no more, with the same format verbs as
// English; and a translation is not the English text copied.
func TestCatalogueIsComplete(t *testing.T) {
	verbs := func(s string) []string {
		v := verb.FindAllString(s, -1)
		slices.Sort(v)
		return v
	}
	for _, lang := range Languages() {
		for key, en := range catalogue[Fallback] {
			switch {
			case !Has(lang, key):
				t.Errorf("%s lacks %s", lang, key)
			case !slices.Equal(verbs(en), verbs(T(lang, key))):
				t.Errorf("%s %s: verbs %v, English has %v", lang, key, verbs(T(lang, key)), verbs(en))
			case lang != Fallback && T(lang, key) == en:
				t.Errorf("%s %s is the English text", lang, key)
			}
		}
		for key := range catalogue[lang] {
			if !Has(Fallback, key) {
				t.Errorf("%s has %s, English does not", lang, key)
			}
		}
	}
	if len(catalogue) != len(Languages()) {
		t.Errorf("catalogue languages %d, Languages() %d", len(catalogue), len(Languages()))
	}
	if T("de-AT", InvalidTitle) != catalogue["de"][InvalidTitle] || T("ja", InvalidTitle) != catalogue["en"][InvalidTitle] || T("de", "no.such.key") != "no.such.key" {
		t.Error("fallbacks")
	}
}

func TestF(t *testing.T) {
	if got := F("de", PasswordTooShort, 10); got != "Das Passwort ist zu kurz: Verwenden Sie mindestens 10 Zeichen." {
		t.Errorf("de: %q", got)
	}
	if got := F("es", PasswordsDiffer); got != T("es", PasswordsDiffer) {
		t.Errorf("no args: %q", got)
	}
}
