package pagetext

// Keys of the sign-in and reset pages and of the account emails (sign-in
// link, password reset, password changed). The emails' texts are formats:
// greeting, event name, link, expiry (the notice: greeting, event, link).
const (
	SignInTitle       = "signIn.title"
	SignInEmail       = "signIn.email"
	SignInPassword    = "signIn.password"
	SignInSend        = "signIn.submit"
	SignInNoPassword  = "signIn.noPassword"
	SignInLink        = "signIn.link"
	SignInForgot      = "signIn.forgot"
	SignInWrong       = "signIn.wrong"
	SignInLinkSent    = "signIn.linkSent"
	SignInResetSent   = "signIn.resetSent"
	SignInEnterEmail  = "signIn.enterEmail"
	SignInChoose      = "signIn.choose"
	SignInLocked      = "signIn.locked" // a format: seconds until a retry may work
	SignInSigningIn   = "signIn.signingIn"
	SignInContinue    = "signIn.continue"
	SignInUnavailable = "signIn.unavailable" // the ID token could not be made
	NoSiteTitle       = "noSite.title"
	NoSiteText        = "noSite.text"
	ResetTitle        = "reset.title"
	ResetSend         = "reset.submit"
	ResetDoneTitle    = "reset.doneTitle"
	ResetDoneText     = "reset.doneText"

	MailHello          = "mail.hello"
	MailSignInSubject  = "mail.signIn.subject"  // event
	MailSignInText     = "mail.signIn.text"     // greeting, event, link, expiry
	MailResetSubject   = "mail.reset.subject"   // event
	MailResetText      = "mail.reset.text"      // greeting, event, link, expiry
	MailChangedSubject = "mail.changed.subject" // event
	MailChangedText    = "mail.changed.text"    // greeting, event, sign-in page
)

var accountTexts = map[string]map[string]string{
	"en": {
		SignInTitle:       "Sign in",
		SignInEmail:       "Email",
		SignInPassword:    "Password",
		SignInSend:        "Sign in",
		SignInNoPassword:  "No password, or forgot it?",
		SignInLink:        "Email me a sign-in link",
		SignInForgot:      "Forgot password",
		SignInWrong:       "The email or the password is wrong.",
		SignInLinkSent:    "If this address is registered, a sign-in link is on its way. It works once; check your inbox.",
		SignInResetSent:   "If this address is registered, a link to choose a new password is on its way. It works once, for an hour.",
		SignInEnterEmail:  "Enter your email address.",
		SignInChoose:      "Choose how to sign in.",
		SignInLocked:      "Too many attempts for this account. Try again in %d s. You can ask for a sign-in link meanwhile.",
		SignInSigningIn:   "Signing in…",
		SignInContinue:    "Continue",
		SignInUnavailable: "Temporarily unavailable; please try again in a minute.",
		NoSiteTitle:       "No such site",
		NoSiteText:        "There is no sign-in for this site.",
		ResetTitle:        "Choose a new password",
		ResetSend:         "Change password",
		ResetDoneTitle:    "Password changed",
		ResetDoneText:     "Your password was changed. Links sent to you before no longer work.",

		MailHello:         "Hello",
		MailSignInSubject: "Your sign-in link for %s",
		MailSignInText: "%[1]s,\n\nUse this link to sign in to %[2]s:\n\n%[3]s\n\nIt works once and expires at %[4]s UTC. " +
			"If you did not ask for it, ignore this email.\n",
		MailResetSubject: "Reset your password for %s",
		MailResetText: "%[1]s,\n\nSomeone (hopefully you) asked to reset the password of your account for %[2]s. " +
			"Choose a new password here:\n\n%[3]s\n\nThe link works once and expires at %[4]s UTC. " +
			"If you did not ask for it, ignore this email: your password stays as it is.\n",
		MailChangedSubject: "Your password for %s was changed",
		MailChangedText: "%[1]s,\n\nThe password of your account for %[2]s was just changed. If that was you, " +
			"there is nothing to do.\n\nIf it was not, reset it at once here and tell the organisers:\n\n%[3]s\n",
	},
	"de": {
		SignInTitle:       "Anmelden",
		SignInEmail:       "E-Mail-Adresse",
		SignInPassword:    "Passwort",
		SignInSend:        "Anmelden",
		SignInNoPassword:  "Kein Passwort oder vergessen?",
		SignInLink:        "Anmeldelink per E-Mail senden",
		SignInForgot:      "Passwort vergessen",
		SignInWrong:       "E-Mail-Adresse oder Passwort ist falsch.",
		SignInLinkSent:    "Wenn diese Adresse registriert ist, ist ein Anmeldelink unterwegs. Er funktioniert einmal; sehen Sie in Ihrem Posteingang nach.",
		SignInResetSent:   "Wenn diese Adresse registriert ist, ist ein Link zum Festlegen eines neuen Passworts unterwegs. Er funktioniert einmal, eine Stunde lang.",
		SignInEnterEmail:  "Geben Sie Ihre E-Mail-Adresse ein.",
		SignInChoose:      "Wählen Sie, wie Sie sich anmelden möchten.",
		SignInLocked:      "Zu viele Versuche für dieses Konto. Versuchen Sie es in %d s erneut. Sie können in der Zwischenzeit einen Anmeldelink anfordern.",
		SignInSigningIn:   "Anmeldung läuft…",
		SignInContinue:    "Weiter",
		SignInUnavailable: "Vorübergehend nicht verfügbar; bitte versuchen Sie es in einer Minute erneut.",
		NoSiteTitle:       "Diese Website gibt es nicht",
		NoSiteText:        "Für diese Website gibt es keine Anmeldung.",
		ResetTitle:        "Neues Passwort wählen",
		ResetSend:         "Passwort ändern",
		ResetDoneTitle:    "Passwort geändert",
		ResetDoneText:     "Ihr Passwort wurde geändert. Links, die Sie vorher erhalten haben, funktionieren nicht mehr.",

		MailHello:         "Hallo",
		MailSignInSubject: "Ihr Anmeldelink für %s",
		MailSignInText: "%[1]s,\n\nmit diesem Link melden Sie sich bei %[2]s an:\n\n%[3]s\n\nEr funktioniert einmal und läuft am %[4]s UTC ab. " +
			"Wenn Sie ihn nicht angefordert haben, ignorieren Sie diese E-Mail.\n",
		MailResetSubject: "Passwort für %s zurücksetzen",
		MailResetText: "%[1]s,\n\njemand (hoffentlich Sie) hat darum gebeten, das Passwort Ihres Kontos für %[2]s zurückzusetzen. " +
			"Wählen Sie hier ein neues Passwort:\n\n%[3]s\n\nDer Link funktioniert einmal und läuft am %[4]s UTC ab. " +
			"Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ihr Passwort bleibt, wie es ist.\n",
		MailChangedSubject: "Ihr Passwort für %s wurde geändert",
		MailChangedText: "%[1]s,\n\ndas Passwort Ihres Kontos für %[2]s wurde soeben geändert. Wenn Sie das waren, " +
			"ist nichts zu tun.\n\nWenn nicht, setzen Sie es hier sofort zurück und informieren Sie die Veranstalter:\n\n%[3]s\n",
	},
	"fr": {
		SignInTitle:       "Se connecter",
		SignInEmail:       "Adresse e-mail",
		SignInPassword:    "Mot de passe",
		SignInSend:        "Se connecter",
		SignInNoPassword:  "Pas de mot de passe, ou oublié ?",
		SignInLink:        "M'envoyer un lien de connexion",
		SignInForgot:      "Mot de passe oublié",
		SignInWrong:       "L'adresse e-mail ou le mot de passe est incorrect.",
		SignInLinkSent:    "Si cette adresse est enregistrée, un lien de connexion est en route. Il ne fonctionne qu'une fois ; consultez votre boîte de réception.",
		SignInResetSent:   "Si cette adresse est enregistrée, un lien pour choisir un nouveau mot de passe est en route. Il ne fonctionne qu'une fois, pendant une heure.",
		SignInEnterEmail:  "Saisissez votre adresse e-mail.",
		SignInChoose:      "Choisissez comment vous connecter.",
		SignInLocked:      "Trop de tentatives pour ce compte. Réessayez dans %d s. En attendant, vous pouvez demander un lien de connexion.",
		SignInSigningIn:   "Connexion en cours…",
		SignInContinue:    "Continuer",
		SignInUnavailable: "Service temporairement indisponible ; veuillez réessayer dans une minute.",
		NoSiteTitle:       "Site introuvable",
		NoSiteText:        "Ce site n'a pas de page de connexion.",
		ResetTitle:        "Choisissez un nouveau mot de passe",
		ResetSend:         "Changer le mot de passe",
		ResetDoneTitle:    "Mot de passe modifié",
		ResetDoneText:     "Votre mot de passe a été modifié. Les liens envoyés auparavant ne fonctionnent plus.",

		MailHello:         "Bonjour",
		MailSignInSubject: "Votre lien de connexion pour %s",
		MailSignInText: "%[1]s,\n\nUtilisez ce lien pour vous connecter à %[2]s :\n\n%[3]s\n\nIl ne fonctionne qu'une fois et expire le %[4]s UTC. " +
			"Si vous ne l'avez pas demandé, ignorez cet e-mail.\n",
		MailResetSubject: "Réinitialisez votre mot de passe pour %s",
		MailResetText: "%[1]s,\n\nQuelqu'un (vous, espérons-le) a demandé à réinitialiser le mot de passe de votre compte pour %[2]s. " +
			"Choisissez un nouveau mot de passe ici :\n\n%[3]s\n\nLe lien ne fonctionne qu'une fois et expire le %[4]s UTC. " +
			"Si vous ne l'avez pas demandé, ignorez cet e-mail : votre mot de passe reste inchangé.\n",
		MailChangedSubject: "Votre mot de passe pour %s a été modifié",
		MailChangedText: "%[1]s,\n\nLe mot de passe de votre compte pour %[2]s vient d'être modifié. Si c'était vous, " +
			"il n'y a rien à faire.\n\nSinon, réinitialisez-le immédiatement ici et prévenez les organisateurs :\n\n%[3]s\n",
	},
	"es": {
		SignInTitle:       "Iniciar sesión",
		SignInEmail:       "Correo electrónico",
		SignInPassword:    "Contraseña",
		SignInSend:        "Iniciar sesión",
		SignInNoPassword:  "¿No tiene contraseña o la ha olvidado?",
		SignInLink:        "Enviarme un enlace de inicio de sesión",
		SignInForgot:      "He olvidado mi contraseña",
		SignInWrong:       "El correo electrónico o la contraseña no son correctos.",
		SignInLinkSent:    "Si esta dirección está registrada, hay un enlace de inicio de sesión en camino. Funciona una sola vez; revise su bandeja de entrada.",
		SignInResetSent:   "Si esta dirección está registrada, hay un enlace para elegir una contraseña nueva en camino. Funciona una sola vez, durante una hora.",
		SignInEnterEmail:  "Introduzca su dirección de correo electrónico.",
		SignInChoose:      "Elija cómo iniciar sesión.",
		SignInLocked:      "Demasiados intentos para esta cuenta. Vuelva a intentarlo dentro de %d s. Mientras tanto, puede pedir un enlace de inicio de sesión.",
		SignInSigningIn:   "Iniciando sesión…",
		SignInContinue:    "Continuar",
		SignInUnavailable: "Servicio no disponible temporalmente; vuelva a intentarlo dentro de un minuto.",
		NoSiteTitle:       "Este sitio no existe",
		NoSiteText:        "Este sitio no tiene inicio de sesión.",
		ResetTitle:        "Elija una contraseña nueva",
		ResetSend:         "Cambiar contraseña",
		ResetDoneTitle:    "Contraseña cambiada",
		ResetDoneText:     "Su contraseña se ha cambiado. Los enlaces que recibió antes ya no funcionan.",

		MailHello:         "Hola",
		MailSignInSubject: "Su enlace de inicio de sesión para %s",
		MailSignInText: "%[1]s:\n\nUse este enlace para iniciar sesión en %[2]s:\n\n%[3]s\n\nFunciona una sola vez y caduca el %[4]s UTC. " +
			"Si no lo ha pedido, ignore este correo.\n",
		MailResetSubject: "Restablezca su contraseña para %s",
		MailResetText: "%[1]s:\n\nAlguien (esperamos que usted) ha pedido restablecer la contraseña de su cuenta para %[2]s. " +
			"Elija una contraseña nueva aquí:\n\n%[3]s\n\nEl enlace funciona una sola vez y caduca el %[4]s UTC. " +
			"Si no lo ha pedido, ignore este correo: su contraseña no cambia.\n",
		MailChangedSubject: "Su contraseña para %s se ha cambiado",
		MailChangedText: "%[1]s:\n\nLa contraseña de su cuenta para %[2]s se acaba de cambiar. Si fue usted, " +
			"no tiene que hacer nada.\n\nSi no, restablézcala ahora mismo aquí y avise a los organizadores:\n\n%[3]s\n",
	},
}

func init() { merge(accountTexts) }
