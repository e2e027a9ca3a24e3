package domain

// Sign-in and password reset.
const (
	// EventPasswordReset reports a password changed through a reset link
	// (the object is the user, as in the other user events).
	EventPasswordReset = "PasswordReset"
	// PurposeReset marks a password-reset link's token (sign-in links are
	// PurposeMagicLink tokens: the magic-link page spends both).
	PurposeReset = "password_reset"
)
