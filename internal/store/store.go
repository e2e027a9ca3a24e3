// Package store is Gatehouse's system of record in MySQL. Every write is an
// upsert or keyed by an id so activities can retry it safely.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

// Store wraps the connection pool; its methods are grouped by area in the
// files of this package.
type Store struct {
	db *sqlx.DB
}

// Open connects and pings. The DSN should come from config (parseTime, UTC).
func Open(ctx context.Context, dsn string) (*Store, error) {
	db, err := sqlx.Open("mysql", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(50)
	db.SetMaxIdleConns(50)
	db.SetConnMaxLifetime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("mysql: %w", err)
	}
	return &Store{db: db}, nil
}

// DB exposes the pool for migrations and tests.
func (s *Store) DB() *sqlx.DB { return s.db }

// Close releases the pool.
func (s *Store) Close() error { return s.db.Close() }

// Ping is the readiness probe.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// EnsureDatabase creates the DSN's database if it does not exist yet.
func EnsureDatabase(ctx context.Context, dsn string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return err
	}
	name := cfg.DBName
	cfg.DBName = ""
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(name)+
		" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
	return err
}

// DropDatabase is used by the test kit to clean up after a package.
func DropDatabase(ctx context.Context, dsn string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return err
	}
	name := cfg.DBName
	cfg.DBName = ""
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(name))
	return err
}

func quoteIdent(s string) string {
	out := []byte{'`'}
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			out = append(out, '`')
		}
		out = append(out, s[i])
	}
	return string(append(out, '`'))
}
