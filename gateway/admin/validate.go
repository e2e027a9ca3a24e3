package admin

import (
	"errors"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"

	"gatehouse/internal/domain"
)

// validate checks JSON request structs; errors name fields by their JSON
// path (headers[0].name), as the client sent them.
var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
}()

func validationErrors(err error) []domain.FieldError {
	var ve validator.ValidationErrors
	if !errors.As(err, &ve) {
		return []domain.FieldError{{Field: "body", Message: err.Error()}}
	}
	out := make([]domain.FieldError, 0, len(ve))
	for _, fe := range ve {
		field := fe.Namespace()
		if _, rest, ok := strings.Cut(field, "."); ok {
			field = rest // drop the struct name
		}
		msg := "is invalid (" + fe.Tag() + ")"
		switch fe.Tag() {
		case "required":
			msg = "is required"
		case "url", "http_url":
			msg = "must be an http or https URL"
		case "max":
			msg = "must be at most " + fe.Param()
		case "min":
			msg = "must be at least " + fe.Param()
		case "oneof":
			msg = "must be one of " + fe.Param()
		case "printascii":
			msg = "must be printable ASCII"
		}
		out = append(out, domain.FieldError{Field: field, Message: msg})
	}
	return out
}
