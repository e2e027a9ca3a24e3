package web

import (
	"github.com/gin-gonic/gin"

	"gatehouse/internal/domain"
)

// Error is the body of every /api/v1 error: a stable code, a message for
// humans, and the offending fields when input was bad.
type Error struct {
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Fields  []domain.FieldError `json:"fields,omitempty"`
}

// Abort answers with an Error.
func Abort(c *gin.Context, status int, code, message string) {
	c.AbortWithStatusJSON(status, Error{Code: code, Message: message})
}

// AbortFields answers with an Error naming the bad fields; its message is
// the first of them.
func AbortFields(c *gin.Context, status int, code string, fields []domain.FieldError) {
	msg := "invalid input"
	if len(fields) > 0 {
		msg = fields[0].Field + ": " + fields[0].Message
		if len(fields) > 1 {
			msg += " (and more, see fields)"
		}
	}
	c.AbortWithStatusJSON(status, Error{Code: code, Message: msg, Fields: fields})
}
