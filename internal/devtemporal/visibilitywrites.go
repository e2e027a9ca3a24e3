package devtemporal

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iancoleman/strcase"
	"github.com/jmoiron/sqlx"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	persistencesql "go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/resolver"
)

// preparedVisibilityPlugin is the SQL plugin of the embedded server's
// visibility file: Temporal's SQLite plugin, except that the three
// statements that write visibility records run as prepared statements.
//
// Why: the SQLite driver compiles every statement it runs, and the record
// written when a workflow closes is an upsert into a table of ~60 generated
// columns with full-text triggers. Compiling it took longer than running it:
// 7 % of the dev stack's CPU at 100 events/s, one close record per delivery.
// Everything else (queries, counts, the schema) is the SQLite plugin's own;
// the records written are identical (TestPreparedVisibilityWritesSameRows).
const preparedVisibilityPlugin = "sqlite-prepared-visibility"

func init() {
	persistencesql.RegisterPlugin(preparedVisibilityPlugin, visibilityPlugin{})
}

type visibilityPlugin struct{}

// CreateDB opens the SQLite plugin's database and, for the visibility
// store, a writer of its own on the same file. The server also asks for
// admin databases (schema checks) through here: the result is both.
func (visibilityPlugin) CreateDB(kind sqlplugin.DbKind, cfg *config.SQL, r resolver.ServiceResolver, l log.Logger, mh metrics.Handler) (sqlplugin.GenericDB, error) {
	inner := *cfg
	inner.PluginName = sqliteplugin.PluginName
	db, err := persistencesql.NewSQLDB(kind, &inner, r, l, mh)
	if err != nil {
		return nil, err
	}
	full, ok := db.(sqliteDB)
	if !ok {
		db.Close()
		return nil, fmt.Errorf("visibility: the SQLite plugin's database is a %T", db)
	}
	if kind != sqlplugin.DbKindVisibility {
		return full, nil
	}
	w, err := writers.acquire(&inner)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &visibilityDB{sqliteDB: full, w: w}, nil
}

// writers shares one writer per file among the server's services (each
// opens the visibility store), as the SQLite plugin shares its connection.
var writers = writerPool{byDSN: map[string]*visibilityWriter{}}

type writerPool struct {
	mu    sync.Mutex
	byDSN map[string]*visibilityWriter
}

func (p *writerPool) acquire(cfg *config.SQL) (*visibilityWriter, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	dsn := sqliteDSN(cfg)
	if w, ok := p.byDSN[dsn]; ok {
		w.refs++
		return w, nil
	}
	w, err := openVisibilityWriter(dsn)
	if err != nil {
		return nil, err
	}
	w.dsn, w.refs = dsn, 1
	p.byDSN[dsn] = w
	return w, nil
}

func (p *writerPool) release(w *visibilityWriter) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w.refs--; w.refs > 0 {
		return nil
	}
	delete(p.byDSN, w.dsn)
	close(w.queue) // no visibilityDB is left to write
	<-w.stopped
	return w.db.Close()
}

func (visibilityPlugin) GetVisibilityQueryConverter() sqlplugin.VisibilityQueryConverter {
	qc, err := persistencesql.GetPluginVisibilityQueryConverter(sqliteplugin.PluginName)
	if err != nil {
		panic(err) // the SQLite plugin registers itself when its package loads
	}
	return qc
}

// sqliteDB is what the SQLite plugin's database is: a DB and an AdminDB.
type sqliteDB interface {
	sqlplugin.DB
	sqlplugin.AdminCRUD
	ExpectedVersion() string
	VerifyVersion() error
}

// visibilityDB is the SQLite plugin's database with its visibility writes
// on the writer's prepared statements.
type visibilityDB struct {
	sqliteDB
	w *visibilityWriter
}

func (d *visibilityDB) InsertIntoVisibility(ctx context.Context, row *sqlplugin.VisibilityRow) (sql.Result, error) {
	return d.w.exec(ctx, d.w.insert, rowForSQLite(row))
}

func (d *visibilityDB) ReplaceIntoVisibility(ctx context.Context, row *sqlplugin.VisibilityRow) (sql.Result, error) {
	return d.w.exec(ctx, d.w.upsert, rowForSQLite(row))
}

func (d *visibilityDB) DeleteFromVisibility(ctx context.Context, filter sqlplugin.VisibilityDeleteFilter) (sql.Result, error) {
	return d.w.exec(ctx, d.w.del, filter)
}

func (d *visibilityDB) Close() error {
	err := d.sqliteDB.Close()
	if werr := writers.release(d.w); err == nil {
		err = werr
	}
	return err
}

// visibilityWriter holds one connection (SQLite has one writer per file)
// and the three statements, prepared once. Writes that arrive while one
// is running share the next transaction (group commit): the server writes
// records concurrently, and one commit per record wrote the same index
// and full-text pages to the WAL again for every record.
type visibilityWriter struct {
	dsn                 string
	refs                int // visibilityDBs using it; guarded by writers.mu
	db                  *sqlx.DB
	insert, upsert, del *sqlx.NamedStmt
	queue               chan *visibilityWrite
	stopped             chan struct{}
	// waiting counts the writes not yet committed; commits counts the
	// transactions. The tests read both.
	waiting, commits atomic.Int64
}

type visibilityWrite struct {
	stmt *sqlx.NamedStmt
	arg  any
	res  sql.Result
	err  error
	done chan struct{}
}

// maxWritesPerCommit bounds a transaction, and so how long readers see
// the file without the batch's records.
const maxWritesPerCommit = 256

// exec queues one write and waits for its transaction to commit. A caller
// that gives up still has its write done: every visibility write is
// idempotent (an upsert guarded by the record's version, an insert that
// skips an existing record, a delete), and the server retries on error.
func (w *visibilityWriter) exec(ctx context.Context, stmt *sqlx.NamedStmt, arg any) (sql.Result, error) {
	wr := &visibilityWrite{stmt: stmt, arg: arg, done: make(chan struct{})}
	w.waiting.Add(1)
	select {
	case w.queue <- wr:
	case <-ctx.Done():
		w.waiting.Add(-1)
		return nil, ctx.Err()
	}
	select {
	case <-wr.done:
		return wr.res, wr.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run commits what is queued, one transaction at a time, without waiting
// for more: a lone write commits at once.
func (w *visibilityWriter) run() {
	defer close(w.stopped)
	batch := make([]*visibilityWrite, 0, maxWritesPerCommit)
	for first := range w.queue {
		batch = append(batch[:0], first)
	more:
		for len(batch) < maxWritesPerCommit {
			select {
			case wr, ok := <-w.queue:
				if !ok {
					break more
				}
				batch = append(batch, wr)
			default:
				break more
			}
		}
		w.commit(batch)
	}
}

// commit runs the batch in one transaction. A statement that fails fails
// its own write (SQLite undoes just that statement); a failed commit fails
// them all.
func (w *visibilityWriter) commit(batch []*visibilityWrite) {
	// Not the callers' contexts: one caller giving up must not undo the
	// others' writes. The busy timeout bounds the wait for the file.
	ctx := context.Background()
	tx, err := w.db.BeginTxx(ctx, nil)
	if err == nil {
		// One transaction-bound handle per statement, not per write.
		inTx := make(map[*sqlx.NamedStmt]*sqlx.NamedStmt, 3)
		for _, wr := range batch {
			st := inTx[wr.stmt]
			if st == nil {
				st = tx.NamedStmtContext(ctx, wr.stmt)
				inTx[wr.stmt] = st
			}
			wr.res, wr.err = st.ExecContext(ctx, wr.arg)
		}
		err = tx.Commit()
	}
	w.commits.Add(1)
	w.waiting.Add(-int64(len(batch)))
	for _, wr := range batch {
		if err != nil {
			wr.res, wr.err = nil, err
		}
		close(wr.done)
	}
}

// The statements of Temporal's SQLite plugin (sqlplugin/sqlite/visibility.go),
// built from the same exported field list so that a column added upstream
// is added here too.
var (
	visibilityInsertSQL = fmt.Sprintf(`INSERT INTO executions_visibility (%s)
		VALUES (%s)
		ON CONFLICT (namespace_id, run_id) DO NOTHING`,
		strings.Join(sqlplugin.DbFields, ", "), sqlplugin.BuildNamedPlaceholder(sqlplugin.DbFields...))
	visibilityUpsertSQL = fmt.Sprintf(`INSERT INTO executions_visibility (%s)
		VALUES (%s)
		ON CONFLICT (namespace_id, run_id) DO UPDATE SET %s WHERE executions_visibility.%s < EXCLUDED.%s`,
		strings.Join(sqlplugin.DbFields, ", "), sqlplugin.BuildNamedPlaceholder(sqlplugin.DbFields...),
		excludedAssignments(sqlplugin.DbFields), sqlplugin.VersionColumnName, sqlplugin.VersionColumnName)
	visibilityDeleteSQL = `DELETE FROM executions_visibility WHERE namespace_id = :namespace_id AND run_id = :run_id`
)

func excludedAssignments(fields []string) string {
	items := make([]string, len(fields))
	for i, f := range fields {
		items[i] = f + " = excluded." + f
	}
	return strings.Join(items, ", ")
}

func openVisibilityWriter(dsn string) (*visibilityWriter, error) {
	db, err := sqlx.Connect("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("visibility writer: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.MapperFunc(strcase.ToSnake) // the plugin's mapping of VisibilityRow's fields
	w := &visibilityWriter{db: db, queue: make(chan *visibilityWrite), stopped: make(chan struct{})}
	for _, s := range []struct {
		stmt **sqlx.NamedStmt
		sql  string
	}{{&w.insert, visibilityInsertSQL}, {&w.upsert, visibilityUpsertSQL}, {&w.del, visibilityDeleteSQL}} {
		if *s.stmt, err = db.PrepareNamed(s.sql); err != nil {
			db.Close()
			return nil, fmt.Errorf("visibility writer: prepare: %w", err)
		}
	}
	go w.run()
	return w, nil
}

// sqliteDSN is the DSN the SQLite plugin opens for cfg: the URI parameters
// SQLite knows, every other attribute as a pragma, SQLite's time format.
func sqliteDSN(cfg *config.SQL) string {
	uriParams := map[string]bool{"cache": true, "immutable": true, "mode": true, "modeof": true, "nolock": true, "psow": true, "vfs": true}
	v := url.Values{}
	for _, k := range slices.Sorted(maps.Keys(cfg.ConnectAttributes)) {
		switch val := cfg.ConnectAttributes[k]; {
		case k == "setup":
		case uriParams[k]:
			v.Set(k, val)
		default:
			v.Add("_pragma", k+"="+val)
		}
	}
	v.Add("_time_format", "sqlite")
	return "file:" + cfg.DatabaseName + "?" + v.Encode()
}

// minSQLiteTime stands for a zero time, as in the plugin.
var minSQLiteTime = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)

func sqliteTime(t time.Time) time.Time {
	if t.IsZero() {
		return minSQLiteTime
	}
	return t.UTC().Truncate(time.Microsecond)
}

// rowForSQLite is the plugin's prepareRowForDB: times in UTC to the
// microsecond, keyword lists joined by ♡, times in search attributes as
// RFC 3339.
func rowForSQLite(row *sqlplugin.VisibilityRow) *sqlplugin.VisibilityRow {
	r := *row
	r.StartTime = sqliteTime(r.StartTime)
	r.ExecutionTime = sqliteTime(r.ExecutionTime)
	if r.CloseTime != nil {
		ct := sqliteTime(*r.CloseTime)
		r.CloseTime = &ct
	}
	if r.SearchAttributes != nil {
		sa := make(sqlplugin.VisibilitySearchAttributes, len(*r.SearchAttributes))
		for name, value := range *r.SearchAttributes {
			switch v := value.(type) {
			case []string:
				sa[name] = strings.Join(v, "♡")
			case time.Time:
				sa[name] = v.Format(time.RFC3339Nano)
			default:
				sa[name] = v
			}
		}
		r.SearchAttributes = &sa
	}
	return &r
}
