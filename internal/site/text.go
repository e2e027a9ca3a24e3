package site

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gatehouse/internal/domain"
	"gatehouse/internal/pagetext"
)

// Text is a page text a site sets (completeTitle, …): one string for every
// language, or one per language ({"en": "…", "de": "…"}). Both shapes are
// accepted and answered as sent.
type Text struct {
	Plain  string
	ByLang map[string]string
}

// PlainText is a Text in one string.
func PlainText(s string) Text { return Text{Plain: s} }

// IsZero reports an unset text.
func (t Text) IsZero() bool {
	if strings.TrimSpace(t.Plain) != "" {
		return false
	}
	for _, v := range t.ByLang {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// MarshalJSON answers a string, or an object when set per language.
func (t Text) MarshalJSON() ([]byte, error) {
	if len(t.ByLang) > 0 {
		return json.Marshal(t.ByLang)
	}
	return json.Marshal(t.Plain)
}

// UnmarshalJSON takes a string or an object of strings by language.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*t = Text{}
		return nil
	case len(b) > 0 && b[0] == '"':
		*t = Text{}
		return json.Unmarshal(b, &t.Plain)
	case len(b) > 0 && b[0] == '{':
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return errors.New("must be a string or an object of strings by language")
		}
		*t = Text{ByLang: m}
		return nil
	}
	return errors.New("must be a string or an object of strings by language")
}

// In is the text for a page in lang: the site's text in that language,
// else its one string (or its default language's), else Gatehouse's own
// text for key in lang. A setting left at Gatehouse's English default is
// shown in the page's language too.
func (t Text) In(lang, defaultLang, key string) string {
	if v := strings.TrimSpace(t.ByLang[lang]); v != "" {
		return v
	}
	v := t.Plain
	if v == "" {
		v = t.ByLang[defaultLang]
	}
	if strings.TrimSpace(v) == "" || pagetext.Default(key, v) {
		return pagetext.T(lang, key)
	}
	return v
}

// validateText checks a Text's languages against the site's.
func validateText(field string, t Text, languages []string) []domain.FieldError {
	var errs []domain.FieldError
	for _, l := range slices.Sorted(func(yield func(string) bool) {
		for k := range t.ByLang {
			if !yield(k) {
				return
			}
		}
	}) {
		if !slices.Contains(languages, l) {
			errs = append(errs, domain.FieldError{Field: field + "." + l, Message: fmt.Sprintf("%q is not one of the site's languages %v", l, languages)})
		}
	}
	return errs
}
