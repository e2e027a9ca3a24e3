// Package domain holds the names Gatehouse's parts share: the status and
// kind values stored in MySQL, event type names, and id helpers. The store,
// the activities and the workflows all use it, so workflows name a status
// without importing the MySQL package. It does no I/O.
//
// Casing of stored values: single lowercase words where one word is enough
// ("pending", "channel"); multiword values use lowerCamelCase, as the JSON
// API does ("targetGone", and the site settings "emailAndCalendar",
// "magicLink"). Two older values differ and stay as stored (changing them
// would be a migration): the link purpose "magic_link" and the upsert action
// "update_tags" (the WPF protocol's word, recorded in workflow histories).
// Event types are PascalCase, the Tyk portal's and Kaltura's names.
package domain

// User statuses (users.status).
const (
	UserPending = "pending"
	UserActive  = "active"
	UserBlocked = "blocked"
)

// UpsertAction says how a submission changes a user.
type UpsertAction string

// Actions: register creates or updates; update only updates an existing
// user; tags only replaces an existing user's tags.
const (
	ActionRegister UpsertAction = "register"
	ActionUpdate   UpsertAction = "update"
	ActionTags     UpsertAction = "update_tags"
)

// Link purposes (link_tokens.purpose).
const (
	PurposePassword  = "password"
	PurposeMagicLink = "magic_link"
)
