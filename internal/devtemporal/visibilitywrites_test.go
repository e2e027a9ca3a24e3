package devtemporal

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	persistencesql "go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/resolver"
	sqliteschema "go.temporal.io/server/schema/sqlite"
)

// visibilityFile makes a visibility database as sqlConfig does (schema,
// pruned indexes) and opens it through plugin.
func visibilityFile(t *testing.T, plugin string) (sqlplugin.DB, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "vis.sqlite")
	cfg := &config.SQL{PluginName: plugin, DatabaseName: file,
		ConnectAttributes: map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "1", "busy_timeout": "10000"}}
	if err := sqliteschema.SetupSchema(cfg); err != nil {
		t.Fatal(err)
	}
	if err := pruneVisibilityIndexes("file:" + file); err != nil {
		t.Fatal(err)
	}
	db, err := persistencesql.NewSQLDB(sqlplugin.DbKindVisibility, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, file
}

// The prepared statements write what the SQLite plugin writes: the same
// rows, generated columns and full-text entries, through a start record,
// a close that replaces it, a stale replace that must not, a duplicate
// start, a close without a start and a delete.
func TestPreparedVisibilityWritesSameRows(t *testing.T) {
	plain, plainFile := visibilityFile(t, sqliteplugin.PluginName)
	prepared, preparedFile := visibilityFile(t, preparedVisibilityPlugin)
	if _, ok := prepared.(*visibilityDB); !ok {
		t.Fatalf("the prepared plugin gave a %T", prepared)
	}
	ctx := context.Background()
	start := time.Date(2026, 12, 2, 3, 4, 5, 678901234, time.FixedZone("x", 3600))
	row := func(run string, version int64, closed bool, sa sqlplugin.VisibilitySearchAttributes) *sqlplugin.VisibilityRow {
		n := int64(7)
		r := &sqlplugin.VisibilityRow{NamespaceID: "ns", RunID: run, WorkflowTypeName: "Delivery", WorkflowID: "delivery-" + run,
			StartTime: start, ExecutionTime: start, Status: 1, Memo: []byte("memo"), Encoding: "Proto3", TaskQueue: "gatehouse",
			SearchAttributes: &sa, RootWorkflowID: "root", RootRunID: "root-run", Version: version}
		if closed {
			ct := start.Add(1500 * time.Millisecond)
			r.Status, r.CloseTime, r.HistoryLength, r.HistorySizeBytes, r.ExecutionDuration, r.StateTransitionCount = 2, &ct, &n, &n, &n, &n
		}
		return r
	}
	sa := sqlplugin.VisibilitySearchAttributes{"Keyword01": "delivered", "Datetime01": start, "Int01": int64(3), "Bool01": true,
		"TemporalChangeVersion": []string{"delivery-first-attempt-local-1", "delivery-mark-stopped-1"}, "Text01": "hello world"}
	steps := []func(db sqlplugin.DB) error{
		func(db sqlplugin.DB) error {
			_, err := db.InsertIntoVisibility(ctx, row("a", 1, false, sa))
			return err
		},
		func(db sqlplugin.DB) error {
			_, err := db.ReplaceIntoVisibility(ctx, row("a", 3, true, sa))
			return err
		},
		func(db sqlplugin.DB) error {
			_, err := db.ReplaceIntoVisibility(ctx, row("a", 2, false, sqlplugin.VisibilitySearchAttributes{"Keyword01": "stale"}))
			return err
		},
		func(db sqlplugin.DB) error {
			_, err := db.InsertIntoVisibility(ctx, row("a", 9, false, nil))
			return err
		},
		func(db sqlplugin.DB) error {
			_, err := db.ReplaceIntoVisibility(ctx, row("b", 1, true, sa))
			return err
		},
		func(db sqlplugin.DB) error {
			_, err := db.ReplaceIntoVisibility(ctx, row("c", 1, true, nil))
			return err
		},
		func(db sqlplugin.DB) error {
			_, err := db.DeleteFromVisibility(ctx, sqlplugin.VisibilityDeleteFilter{NamespaceID: "ns", RunID: "c"})
			return err
		},
	}
	for i, step := range steps {
		if err := step(plain); err != nil {
			t.Fatalf("step %d, plugin: %v", i, err)
		}
		if err := step(prepared); err != nil {
			t.Fatalf("step %d, prepared: %v", i, err)
		}
	}
	for _, q := range []string{
		`SELECT * FROM executions_visibility ORDER BY run_id`,
		`SELECT rowid FROM executions_visibility_fts_keyword_list WHERE executions_visibility_fts_keyword_list MATCH '"delivery-mark-stopped-1"'`,
		`SELECT rowid FROM executions_visibility_fts_text WHERE executions_visibility_fts_text MATCH 'hello'`,
	} {
		want, got := dumpRows(t, plainFile, q), dumpRows(t, preparedFile, q)
		if len(want) == 0 {
			t.Fatalf("%s: no rows: the comparison would prove nothing", q)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%s\nplugin:   %v\nprepared: %v", q, want, got)
		}
	}
}

func dumpRows(t *testing.T, file, query string) [][]string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		line := make([]string, len(cols))
		for i, v := range vals {
			line[i] = cols[i] + "=" + fmt.Sprint(v)
		}
		out = append(out, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Writes that arrive while a transaction runs share the next one, and all
// of them land. Another connection holds the file's write lock until every
// write waits, so the batches are known: the first write alone, then the
// rest in transactions of at most maxWritesPerCommit.
func TestVisibilityWritesShareTransactions(t *testing.T) {
	db, file := visibilityFile(t, preparedVisibilityPlugin)
	w := db.(*visibilityDB).w
	lock, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	conn, err := lock.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	const n = 300
	errs := make(chan error, n)
	for i := range n {
		go func() {
			n := int64(1)
			ct := time.Now()
			_, err := db.ReplaceIntoVisibility(context.Background(), &sqlplugin.VisibilityRow{NamespaceID: "ns",
				RunID: fmt.Sprintf("run-%03d", i), WorkflowTypeName: "Delivery", WorkflowID: "w", StartTime: ct, ExecutionTime: ct,
				Status: 2, CloseTime: &ct, HistoryLength: &n, Memo: []byte{}, Encoding: "Proto3", TaskQueue: "q", Version: 1})
			errs <- err
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for w.waiting.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d writes waiting", w.waiting.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := w.commits.Load(); got != 0 {
		t.Fatalf("%d commits while the file was locked", got)
	}
	if _, err := conn.ExecContext(context.Background(), "COMMIT"); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// The first transaction takes the writes queued by then (one or more).
	most, least := int64(1+(n-1+maxWritesPerCommit-1)/maxWritesPerCommit), int64((n+maxWritesPerCommit-1)/maxWritesPerCommit)
	if got := w.commits.Load(); got < least || got > most {
		t.Fatalf("%d commits for %d writes, want %d to %d", got, n, least, most)
	}
	var rows int
	if err := lock.QueryRow(`SELECT COUNT(*) FROM executions_visibility`).Scan(&rows); err != nil || rows != n {
		t.Fatalf("%d records (%v), want %d", rows, err, n)
	}
}
