package web

import (
	"github.com/gin-gonic/gin"

	"gatehouse/internal/pagetext"
)

// PageChoice is what a request tells of its reader's language: ?lang= (or
// the lang field of a posted form: the sign-in form carries it), then
// Accept-Language. A page about a user adds the user's language.
func PageChoice(c *gin.Context) pagetext.Choice {
	q := c.Query("lang")
	if q == "" && c.Request.PostForm != nil {
		q = c.Request.PostForm.Get("lang")
	}
	return pagetext.Choice{Query: q, AcceptLanguage: c.GetHeader("Accept-Language")}
}

// PageLang is the language of an answer that knows no site yet (a form
// refused before its handler ran): the choice among the catalogue's.
func PageLang(c *gin.Context) string {
	return pagetext.Pick(pagetext.Languages(), pagetext.Fallback, PageChoice(c))
}

// PageError ends a page request with a plain-text answer: the catalogue's
// text for key (a format filled with args) in lang.
func PageError(c *gin.Context, status int, lang, key string, args ...any) {
	c.Abort()
	c.Header("Content-Language", lang)
	c.Data(status, "text/plain; charset=utf-8", []byte(pagetext.F(lang, key, args...)+"\n"))
}

// pageError is PageError in PageLang: the page guards' answers.
func pageError(c *gin.Context, status int, key string, args ...any) {
	PageError(c, status, PageLang(c), key, args...)
}
