package store

import (
	"database/sql"
	"errors"

	"github.com/go-sql-driver/mysql"
)

// ErrNotFound is returned when a keyed row does not exist.
var ErrNotFound = errors.New("not found")

func asMySQL(err error, target **mysql.MySQLError) bool { return errors.As(err, target) }

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
