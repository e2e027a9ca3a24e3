package registration

import (
	"html/template"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/pagetext"
	"gatehouse/internal/site"
)

// pageFuncs give the pages their texts: {{t .Lang "key"}} and, for texts
// with a value, {{tf .Lang "key" value}} (internal/pagetext). Texts a
// handler puts in pageData are already in the page's language.
var pageFuncs = template.FuncMap{
	"t":  pagetext.T,
	"tf": pagetext.F,
}

// pageLang is the language of a page about a user of st: the user's, then
// ?lang= (or the form's lang), then Accept-Language, among the site's
// languages. Without a site (a link that leads nowhere) the choice is
// among the catalogue's languages.
func pageLang(c *gin.Context, st *site.Site, userLang string) string {
	choice := web.PageChoice(c)
	choice.User = userLang
	if st == nil {
		return pagetext.Pick(pagetext.Languages(), pagetext.Fallback, choice)
	}
	return pagetext.Pick(st.Languages, st.DefaultLanguage, choice)
}

// phrase is a text a handler decides on before the page's language is
// chosen: a catalogue key and the values its format names.
type phrase struct {
	key  string
	args []any
}

func say(key string, args ...any) phrase { return phrase{key, args} }

// in is the phrase in lang; the zero phrase is "".
func (p phrase) in(lang string) string {
	if p.key == "" {
		return ""
	}
	return pagetext.F(lang, p.key, p.args...)
}
