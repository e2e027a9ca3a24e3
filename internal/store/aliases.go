package store

import "gatehouse/internal/domain"

// Aliases kept until gateway/ imports internal/domain directly.
const (
	UserPending      = domain.UserPending
	UserActive       = domain.UserActive
	UserBlocked      = domain.UserBlocked
	ActionRegister   = domain.ActionRegister
	ActionUpdate     = domain.ActionUpdate
	ActionTags       = domain.ActionTags
	PurposePassword  = domain.PurposePassword
	PurposeMagicLink = domain.PurposeMagicLink
	TargetTemplate   = domain.TargetTemplate
	TargetChannel    = domain.TargetChannel
	ObjectTypeUser   = domain.ObjectTypeUser
)

// Aliases kept until gateway/ imports internal/domain directly.
type Event = domain.Event

// Aliases kept until gateway/ imports internal/domain directly.
var (
	DeliveryStatuses = domain.DeliveryStatuses
	Finished         = domain.Finished
	NewEventID       = domain.NewEventID
)
