// Package schema holds Gatehouse's MySQL migrations. Each file is a goose
// migration that must run unchanged on MySQL 8 and MariaDB 10.11: no JSON
// functions in defaults, no RETURNING, no "INSERT ... AS alias".
package schema

import "embed"

// Migrations are applied in file-name order by internal/store.Migrate.
//
//go:embed *.sql
var Migrations embed.FS
