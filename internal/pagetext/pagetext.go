// Package pagetext is the catalogue of the texts on Gatehouse's pages (the
// links' pages, the complete screen, sign-in) in the languages Gatehouse
// ships, and the choice of a page's language: the user's, then ?lang=,
// then the browser's Accept-Language, among the site's languages.
// Site-specific texts (the complete screen's settings) override these
// per language; see site.Text.
package pagetext

import (
	"fmt"
	"strings"

	"golang.org/x/text/language"
)

// Fallback is the language every key exists in.
const Fallback = "en"

// Keys of the catalogue. Pages name texts by key; a key missing in a
// language falls back to English.
const (
	InvalidTitle     = "invalid.title"
	InvalidText      = "invalid.text"
	InvalidHint      = "invalid.hint"
	BlockedTitle     = "blocked.title"
	BlockedText      = "blocked.text"
	BlockedHint      = "blocked.hint"
	SetPasswordTitle = "setPassword.title"
	PasswordLabel    = "setPassword.password" // a format: the minimum length (pages: {{tf .Lang key n}})
	ConfirmLabel     = "setPassword.confirm"
	SetPasswordSend  = "setPassword.submit"
	PasswordsDiffer  = "setPassword.differ"
	PasswordTooShort = "setPassword.tooShort" // a format: the minimum length
	PasswordTooLong  = "setPassword.tooLong"  // a format: the maximum length
	PasswordBlank    = "setPassword.blank"
	PasswordRefused  = "setPassword.refused" // a rule the page has no text of its own for
	MagicLinkTitle   = "magicLink.title"
	MagicLinkSend    = "magicLink.submit"
	CompleteTitle    = "complete.title"
	CompleteText     = "complete.text"
	CompleteSubText  = "complete.subText"
	CompleteButton   = "complete.buttonTitle"
)

var catalogue = map[string]map[string]string{
	"en": {
		InvalidTitle:     "This link cannot be used",
		InvalidText:      "The link is invalid, has expired or was already used. Links work once and only for a limited time.",
		InvalidHint:      "Ask the organiser for a new one.",
		BlockedTitle:     "This account is blocked",
		BlockedText:      "The organiser has blocked this account, so its links cannot be used to sign in. Nothing was changed.",
		BlockedHint:      "If you think this is a mistake, contact the organiser.",
		SetPasswordTitle: "Set your password",
		PasswordLabel:    "New password (at least %d characters)",
		ConfirmLabel:     "Repeat it",
		SetPasswordSend:  "Set password",
		PasswordsDiffer:  "The two passwords differ.",
		PasswordTooShort: "The password is too short: use at least %d characters.",
		PasswordTooLong:  "The password is too long: use at most %d characters.",
		PasswordBlank:    "The password may not be only spaces.",
		PasswordRefused:  "This password cannot be used. Choose another one.",
		MagicLinkTitle:   "Sign in",
		MagicLinkSend:    "Sign in",
		CompleteTitle:    "Password has been set.",
		CompleteText:     "Thank you for setting your password.",
		CompleteSubText:  "Sign in to the site using your email and password.",
		CompleteButton:   "Sign in",
	},
	"de": {
		InvalidTitle:     "Dieser Link kann nicht verwendet werden",
		InvalidText:      "Der Link ist ungültig, abgelaufen oder wurde bereits verwendet. Links funktionieren nur einmal und nur für begrenzte Zeit.",
		InvalidHint:      "Bitten Sie den Veranstalter um einen neuen Link.",
		BlockedTitle:     "Dieses Konto ist gesperrt",
		BlockedText:      "Der Veranstalter hat dieses Konto gesperrt; seine Links können nicht zur Anmeldung verwendet werden. Es wurde nichts geändert.",
		BlockedHint:      "Wenn Sie das für einen Irrtum halten, wenden Sie sich an den Veranstalter.",
		SetPasswordTitle: "Passwort festlegen",
		PasswordLabel:    "Neues Passwort (mindestens %d Zeichen)",
		ConfirmLabel:     "Wiederholen",
		SetPasswordSend:  "Passwort festlegen",
		PasswordsDiffer:  "Die beiden Passwörter stimmen nicht überein.",
		PasswordTooShort: "Das Passwort ist zu kurz: Verwenden Sie mindestens %d Zeichen.",
		PasswordTooLong:  "Das Passwort ist zu lang: Verwenden Sie höchstens %d Zeichen.",
		PasswordBlank:    "Das Passwort darf nicht nur aus Leerzeichen bestehen.",
		PasswordRefused:  "Dieses Passwort kann nicht verwendet werden. Wählen Sie ein anderes.",
		MagicLinkTitle:   "Anmelden",
		MagicLinkSend:    "Anmelden",
		CompleteTitle:    "Das Passwort wurde festgelegt.",
		CompleteText:     "Danke, dass Sie Ihr Passwort festgelegt haben.",
		CompleteSubText:  "Melden Sie sich mit Ihrer E-Mail-Adresse und Ihrem Passwort an.",
		CompleteButton:   "Anmelden",
	},
	"fr": {
		InvalidTitle:     "Ce lien ne peut pas être utilisé",
		InvalidText:      "Le lien est invalide, a expiré ou a déjà été utilisé. Un lien ne fonctionne qu'une fois et pour une durée limitée.",
		InvalidHint:      "Demandez-en un nouveau à l'organisateur.",
		BlockedTitle:     "Ce compte est bloqué",
		BlockedText:      "L'organisateur a bloqué ce compte ; ses liens ne permettent pas de se connecter. Rien n'a été modifié.",
		BlockedHint:      "S'il s'agit d'une erreur, contactez l'organisateur.",
		SetPasswordTitle: "Choisissez votre mot de passe",
		PasswordLabel:    "Nouveau mot de passe (au moins %d caractères)",
		ConfirmLabel:     "Répétez-le",
		SetPasswordSend:  "Enregistrer le mot de passe",
		PasswordsDiffer:  "Les deux mots de passe diffèrent.",
		PasswordTooShort: "Le mot de passe est trop court : utilisez au moins %d caractères.",
		PasswordTooLong:  "Le mot de passe est trop long : utilisez au plus %d caractères.",
		PasswordBlank:    "Le mot de passe ne peut pas être composé uniquement d'espaces.",
		PasswordRefused:  "Ce mot de passe ne peut pas être utilisé. Choisissez-en un autre.",
		MagicLinkTitle:   "Se connecter",
		MagicLinkSend:    "Se connecter",
		CompleteTitle:    "Le mot de passe a été enregistré.",
		CompleteText:     "Merci d'avoir choisi votre mot de passe.",
		CompleteSubText:  "Connectez-vous avec votre adresse e-mail et votre mot de passe.",
		CompleteButton:   "Se connecter",
	},
	"es": {
		InvalidTitle:     "Este enlace no se puede usar",
		InvalidText:      "El enlace no es válido, ha caducado o ya se usó. Los enlaces funcionan una sola vez y durante un tiempo limitado.",
		InvalidHint:      "Pida uno nuevo al organizador.",
		BlockedTitle:     "Esta cuenta está bloqueada",
		BlockedText:      "El organizador ha bloqueado esta cuenta; sus enlaces no sirven para iniciar sesión. No se ha cambiado nada.",
		BlockedHint:      "Si cree que es un error, póngase en contacto con el organizador.",
		SetPasswordTitle: "Elija su contraseña",
		PasswordLabel:    "Nueva contraseña (al menos %d caracteres)",
		ConfirmLabel:     "Repítala",
		SetPasswordSend:  "Guardar contraseña",
		PasswordsDiffer:  "Las dos contraseñas no coinciden.",
		PasswordTooShort: "La contraseña es demasiado corta: use al menos %d caracteres.",
		PasswordTooLong:  "La contraseña es demasiado larga: use como máximo %d caracteres.",
		PasswordBlank:    "La contraseña no puede estar formada solo por espacios.",
		PasswordRefused:  "Esta contraseña no se puede usar. Elija otra.",
		MagicLinkTitle:   "Iniciar sesión",
		MagicLinkSend:    "Iniciar sesión",
		CompleteTitle:    "La contraseña se ha guardado.",
		CompleteText:     "Gracias por elegir su contraseña.",
		CompleteSubText:  "Inicie sesión con su correo electrónico y su contraseña.",
		CompleteButton:   "Iniciar sesión",
	},
}

// merge adds texts kept in a file of their own to the catalogue.
func merge(texts map[string]map[string]string) {
	for lang, t := range texts {
		for k, v := range t {
			catalogue[lang][k] = v
		}
	}
}

// Languages lists the languages the catalogue has.
func Languages() []string { return []string{"en", "de", "fr", "es"} }

// T is the text for key in lang: the language itself, its base language
// (pt-BR: pt), then English. An unknown key is answered as itself, so a
// missing text is visible rather than blank.
func T(lang, key string) string {
	for _, l := range []string{lang, base(lang), Fallback} {
		if v, ok := catalogue[l][key]; ok {
			return v
		}
	}
	return key
}

// F is T(lang, key) as a format filled with args (a text such as
// PasswordLabel that names a value).
func F(lang, key string, args ...any) string {
	if len(args) == 0 {
		return T(lang, key)
	}
	return fmt.Sprintf(T(lang, key), args...)
}

// Has reports whether key has a text of its own in lang (not a fallback).
func Has(lang, key string) bool {
	_, ok := catalogue[lang][key]
	return ok
}

// Default reports whether s is the English text of key: a site setting
// left at its default, which pages show translated.
func Default(key, s string) bool { return catalogue[Fallback][key] == s }

func base(lang string) string {
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		return strings.ToLower(lang[:i])
	}
	return strings.ToLower(lang)
}

// Choice is what a page knows about the reader's language.
type Choice struct {
	User           string // the user's language, when the page belongs to one
	Query          string // ?lang=
	AcceptLanguage string // the browser's header
}

// Pick is the page language among the site's languages: the user's, then
// ?lang=, then the best Accept-Language match; otherwise the site's
// default. A language is taken when it is one of the site's or shares its
// base language (a user in de-AT on a site with de reads German).
func Pick(siteLanguages []string, siteDefault string, c Choice) string {
	if len(siteLanguages) == 0 {
		siteLanguages = []string{siteDefault}
	}
	for _, want := range []string{c.User, c.Query} {
		if l, ok := among(siteLanguages, want); ok {
			return l
		}
	}
	if c.AcceptLanguage != "" {
		tags := make([]language.Tag, 0, len(siteLanguages)+1)
		fallback := language.Make(siteDefault)
		tags = append(tags, fallback) // the matcher's first tag is its default
		for _, l := range siteLanguages {
			tags = append(tags, language.Make(l))
		}
		accepted, _, err := language.ParseAcceptLanguage(c.AcceptLanguage)
		if err == nil && len(accepted) > 0 {
			_, i, conf := language.NewMatcher(tags).Match(accepted...)
			if conf != language.No {
				if i == 0 {
					return siteDefault
				}
				return siteLanguages[i-1]
			}
		}
	}
	return siteDefault
}

func among(langs []string, want string) (string, bool) {
	want = strings.TrimSpace(want)
	if want == "" {
		return "", false
	}
	for _, l := range langs {
		if strings.EqualFold(l, want) || strings.EqualFold(strings.ReplaceAll(l, "_", "-"), strings.ReplaceAll(want, "_", "-")) {
			return l, true
		}
	}
	for _, l := range langs {
		if strings.EqualFold(l, base(want)) {
			return l, true
		}
	}
	return "", false
}
