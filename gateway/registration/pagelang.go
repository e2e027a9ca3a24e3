package registration

import (
	"fmt"
	"html/template"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/pagetext"
	"gatehouse/internal/site"
)

// pageFuncs give the pages their texts: {{t .Lang "key"}} and, for texts
// with a value, {{tf .Lang "key" value}} (internal/pagetext).
var pageFuncs = template.FuncMap{
	"t":  pagetext.T,
	"tf": func(lang, key string, args ...any) string { return fmt.Sprintf(pagetext.T(lang, key), args...) },
}

// pageLang is the language of a page about a user of st: the user's, then
// ?lang=, then Accept-Language, among the site's languages. Without a site
// (a link that leads nowhere) the choice is among the catalogue's languages.
func pageLang(c *gin.Context, st *site.Site, userLang string) string {
	choice := pagetext.Choice{User: userLang, Query: c.Query("lang"), AcceptLanguage: c.GetHeader("Accept-Language")}
	if st == nil {
		return pagetext.Pick(pagetext.Languages(), pagetext.Fallback, choice)
	}
	return pagetext.Pick(st.Languages, st.DefaultLanguage, choice)
}

// errorText translates a form error given as a catalogue key; other
// messages (a password rule's own words) are shown as they are.
func errorText(lang, msg string) string {
	if msg == "" {
		return ""
	}
	return pagetext.T(lang, msg)
}
