package store_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"

	"gatehouse/internal/store"
	"gatehouse/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// Several workers starting at once all migrate; the named lock serialises
// them and every one succeeds.
func TestConcurrentMigrationsOnFreshDatabase(t *testing.T) {
	cfg, err := mysql.ParseDSN(testkit.Get(t).DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName += "_fresh"
	dsn := cfg.FormatDSN()
	t.Cleanup(func() { store.DropDatabase(context.Background(), dsn) })
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Go(func() { errs <- store.Migrate(context.Background(), dsn, slog.New(slog.DiscardHandler)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := store.CheckSchema(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

func TestCheckSchemaRefusesAnOldSchema(t *testing.T) {
	cfg, err := mysql.ParseDSN(testkit.Get(t).DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName += "_empty"
	dsn := cfg.FormatDSN()
	if err := store.EnsureDatabase(context.Background(), dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.DropDatabase(context.Background(), dsn) })
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := store.CheckSchema(context.Background(), s); err == nil {
		t.Fatal("an unmigrated database passed the schema check")
	}
}
