package api

import (
	"github.com/gin-gonic/gin"
)

// apiError is the body of every /api/v1 error: a stable code, a message
// for humans, and the offending fields when input was bad.
type apiError struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Fields  []fieldError `json:"fields,omitempty"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func abort(c *gin.Context, status int, code, message string) {
	c.AbortWithStatusJSON(status, apiError{Code: code, Message: message})
}

func abortFields(c *gin.Context, status int, code string, fields []fieldError) {
	msg := "invalid input"
	if len(fields) > 0 {
		msg = fields[0].Field + ": " + fields[0].Message
		if len(fields) > 1 {
			msg += " (and more, see fields)"
		}
	}
	c.AbortWithStatusJSON(status, apiError{Code: code, Message: msg, Fields: fields})
}
