package domain

// FieldError names one bad input field the way the caller sent it: a JSON
// path (sites, channels, portals), a webhook key (registrations) or Kaltura's
// form name (eventNotificationTemplate[eventConditions][0][field][code]).
// Code is set where the protocol has codes of its own (Kaltura's
// PROPERTY_VALIDATION_*); the admin API's answers leave it out.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }
