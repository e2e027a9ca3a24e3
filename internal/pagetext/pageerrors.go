package pagetext

// Keys of what the pages answer before or instead of a page: a form post
// refused by the shared page guards (gateway/web: rate limit, form checks,
// CSRF) or a dependency that is down. These answers are plain text.
const (
	TooMany        = "page.tooMany" // a format: seconds until a retry may work
	FormType       = "page.formType"
	FormTooLarge   = "page.formTooLarge"
	FormUnreadable = "page.formUnreadable"
	FormExpired    = "page.formExpired" // the CSRF check failed
	Unavailable    = "page.unavailable"
)

var pageErrorTexts = map[string]map[string]string{
	"en": {
		TooMany:        "Too many attempts. Try again in %d s.",
		FormType:       "Send the form as application/x-www-form-urlencoded.",
		FormTooLarge:   "The form is too large.",
		FormUnreadable: "The form cannot be read.",
		FormExpired:    "This form has expired or came from another site: nothing was done. Go back, reload the page and try again.",
		Unavailable:    "Temporarily unavailable. Nothing was changed; please try again in a minute.",
	},
	"de": {
		TooMany:        "Zu viele Versuche. Versuchen Sie es in %d s erneut.",
		FormType:       "Senden Sie das Formular als application/x-www-form-urlencoded.",
		FormTooLarge:   "Das Formular ist zu groß.",
		FormUnreadable: "Das Formular kann nicht gelesen werden.",
		FormExpired:    "Dieses Formular ist abgelaufen oder stammt von einer anderen Website: Es wurde nichts getan. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.",
		Unavailable:    "Vorübergehend nicht verfügbar. Es wurde nichts geändert; bitte versuchen Sie es in einer Minute erneut.",
	},
	"fr": {
		TooMany:        "Trop de tentatives. Réessayez dans %d s.",
		FormType:       "Envoyez le formulaire au format application/x-www-form-urlencoded.",
		FormTooLarge:   "Le formulaire est trop volumineux.",
		FormUnreadable: "Le formulaire est illisible.",
		FormExpired:    "Ce formulaire a expiré ou provient d'un autre site : rien n'a été fait. Revenez en arrière, rechargez la page et réessayez.",
		Unavailable:    "Service temporairement indisponible. Rien n'a été modifié ; veuillez réessayer dans une minute.",
	},
	"es": {
		TooMany:        "Demasiados intentos. Vuelva a intentarlo dentro de %d s.",
		FormType:       "Envíe el formulario como application/x-www-form-urlencoded.",
		FormTooLarge:   "El formulario es demasiado grande.",
		FormUnreadable: "No se puede leer el formulario.",
		FormExpired:    "Este formulario ha caducado o procede de otro sitio: no se ha hecho nada. Vuelva atrás, recargue la página e inténtelo de nuevo.",
		Unavailable:    "Servicio no disponible temporalmente. No se ha cambiado nada; vuelva a intentarlo dentro de un minuto.",
	},
}

func init() { merge(pageErrorTexts) }
