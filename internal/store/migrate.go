package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/pressly/goose/v3"

	"gatehouse/internal/notify"
	"gatehouse/schema"
)

// Migrate creates the database if needed and applies every pending
// migration. Concurrent callers (several workers starting at once) are
// serialised with a MySQL named lock held around the whole run: goose's own
// locker starts after it creates its version table, which races.
func Migrate(ctx context.Context, dsn string, log *slog.Logger) error {
	if err := EnsureDatabase(ctx, dsn); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var dbName string
	if err := conn.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&dbName); err != nil {
		return err
	}
	// GET_LOCK names are server-wide: include the database.
	lock := "gatehouse_migrations:" + dbName
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 120)", lock).Scan(&got); err != nil {
		return err
	}
	if got.Int64 != 1 {
		return fmt.Errorf("another process held the migration lock %q for 120s", lock)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", lock) //nolint:errcheck

	p, err := goose.NewProvider(goose.DialectMySQL, db, schema.Migrations, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	// System notification templates are data that ships with the code, so
	// they are refreshed on every migrate, under the same lock.
	s, err := Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.EnsureSystemTemplates(ctx, notify.SystemTemplates())
}

// CheckSchema fails when the database is behind the migrations this binary
// carries, so a gateway or worker never runs against an old schema.
func CheckSchema(ctx context.Context, s *Store) error {
	p, err := goose.NewProvider(goose.DialectMySQL, s.db.DB, schema.Migrations, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if pending {
		return fmt.Errorf("the database schema is behind this build: run migrations first (make migrate, or bin/migrate)")
	}
	return nil
}
