package notify

import (
	"strings"

	"gatehouse/internal/domain"
)

// Kaltura error codes used for fields.
const (
	CodeCannotBeNull   = "PROPERTY_VALIDATION_CANNOT_BE_NULL"
	CodeNotUpdatable   = "PROPERTY_VALIDATION_NOT_UPDATABLE"
	CodeInvalidValue   = "PROPERTY_VALIDATION_WRONG_FORMAT"
	CodeInvalidEnum    = "INVALID_ENUM_VALUE"
	CodeUnknownProp    = "PROPERTY_VALIDATION_UNKNOWN_PROPERTY"
	CodeInvalidObjType = "INVALID_OBJECT_TYPE"
)

// applier collects the field errors of one template, naming each field
// under prefix.
type applier struct {
	prefix string
	errs   []domain.FieldError
}

func (a *applier) name(path ...string) string {
	var b strings.Builder
	b.WriteString(a.prefix)
	for _, p := range path {
		b.WriteString("[" + p + "]")
	}
	return b.String()
}

func (a *applier) fail(code, msg string, path ...string) {
	a.errs = append(a.errs, domain.FieldError{Field: a.name(path...), Code: code, Message: msg})
}

// FieldErrors collects field errors the way Validate does, for code that
// reads a template from a client (gateway/kaltura's form decoding).
type FieldErrors struct{ a applier }

// NewFieldErrors names fields under prefix (eventNotificationTemplate).
func NewFieldErrors(prefix string) *FieldErrors { return &FieldErrors{applier{prefix: prefix}} }

// Fail records an error for the field at path.
func (e *FieldErrors) Fail(code, msg string, path ...string) { e.a.fail(code, msg, path...) }

// List returns the errors recorded so far.
func (e *FieldErrors) List() []domain.FieldError { return e.a.errs }
