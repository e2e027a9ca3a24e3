package tykportal

import (
	"context"
	"errors"
	"fmt"
	"net"

	"gatehouse/internal/outbound"
)

// RejectedError is the portal's 422: it refused the operation and said why
// (access request already decided, gateway or identity provider failed,
// user or organisation not found). Retrying the same call cannot help; the
// caller reads the state back (GET) to tell "already done" from a failure.
type RejectedError struct {
	Op      string
	Message string // the portal's message (StatusWithMessage.message, or OnlyErrors joined)
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("tykportal: %s: rejected by the portal (422): %s", e.Op, e.Message)
}

// Error is any other failed call. Retryable is true for 5xx, 429, timeouts
// and network errors; false for 401/403/404, other 4xx, redirects (a
// misconfigured baseUrl), addresses the outbound guard refuses, and
// undecodable 2xx answers.
type Error struct {
	Op        string
	Status    int // 0 when no answer came
	Message   string
	Retryable bool
	Err       error
}

func (e *Error) Error() string {
	s := "tykportal: " + e.Op
	if e.Status != 0 {
		s += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether err is worth retrying: an *Error marked so. A
// RejectedError, a permanent Error and anything unknown are not.
func Retryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

// AsRejected returns the portal's 422.
func AsRejected(err error) (*RejectedError, bool) {
	var r *RejectedError
	ok := errors.As(err, &r)
	return r, ok
}

// transportError classifies a failed round trip (no HTTP status).
func transportError(op string, err error) error {
	retry := true
	switch {
	case errors.Is(err, outbound.ErrForbiddenAddress):
		retry = false
	case errors.Is(err, context.Canceled):
		retry = false // the caller gave up; it knows why
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		retry = true
	}
	return &Error{Op: op, Err: err, Retryable: retry}
}

// statusRetryable is the classification of a non-2xx, non-422 answer.
func statusRetryable(status int) bool {
	return status >= 500 || status == 429 || status == 408
}
