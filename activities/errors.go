package activities

import (
	"errors"

	"github.com/go-sql-driver/mysql"
	"go.temporal.io/sdk/temporal"

	"gatehouse/internal/mail"
	"gatehouse/internal/store"
)

// Error types workflows branch on. Everything classified here is
// non-retryable: retrying cannot change the answer.
const (
	ErrTypeSiteNotFound = "SiteNotFound"
	ErrTypeUserNotFound = "UserNotFound"
	ErrTypeEmailRefused = "EmailRefused" // the SMTP server refused for good (5xx, bad address)
	ErrTypeBadData      = "BadData"      // MySQL refused a value: the same write fails every time
	ErrTypeStepConflict = "StepConflict" // an approval's audit seq holds another entry
)

// MySQL data errors: incorrect string value (1366), data too long (1406),
// data truncated (1265). Retrying the same write cannot succeed.
var dataErrors = map[uint16]bool{1366: true, 1406: true, 1265: true}

// classify turns known permanent failures into non-retryable application
// errors and leaves the rest (network, 4xx SMTP, MySQL down) retryable.
func classify(err error, notFoundType string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) && notFoundType != "" {
		return temporal.NewNonRetryableApplicationError(err.Error(), notFoundType, err)
	}
	var f *mail.Failure
	if errors.As(err, &f) && f.Permanent {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeEmailRefused, err)
	}
	if errors.Is(err, store.ErrStepConflict) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeStepConflict, err)
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) && dataErrors[me.Number] {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeBadData, err)
	}
	return err
}

// IsType reports whether err (as a workflow sees it) carries an error type.
func IsType(err error, errType string) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == errType
}

func nonRetryable(err error, errType string) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), errType, err)
}
