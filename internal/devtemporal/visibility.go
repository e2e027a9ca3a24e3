package devtemporal

import (
	"database/sql"
	"fmt"
	"strings"

	_ "modernc.org/sqlite" // the driver the server's SQLite plugin registers as "sqlite"
)

// keptVisibilityIndexes are the indexes of executions_visibility that the
// Web UI and Gatehouse query by: the default list (newest first), a
// workflow's id, type and status, and the custom search attributes
// (Gatehouse's are Keyword and Datetime, mapped onto these columns).
//
// Temporal's SQLite schema creates 58 indexes on the table, one per column
// a query may filter on. The server writes a row when a workflow starts and
// replaces it when it closes, so every index costs two B-tree updates (and a
// JSON_EXTRACT for an indexed generated column) per workflow. Profiled under
// the bench, visibility writes were a quarter of the stack's CPU. Dropping
// an index never changes what a query answers, only how fast: a filter on
// a dropped column scans the table, which on a dev server's table is fine.
var keptVisibilityIndexes = map[string]bool{
	"default_idx": true, "by_workflow_id": true, "by_workflow_type": true, "by_status": true,
	"by_keyword_01": true, "by_keyword_02": true, "by_keyword_03": true, "by_keyword_04": true,
	"by_keyword_05": true, "by_keyword_06": true, "by_keyword_07": true, "by_keyword_08": true,
	"by_keyword_09": true, "by_keyword_10": true,
	"by_datetime_01": true, "by_datetime_02": true, "by_datetime_03": true,
}

// pruneVisibilityIndexes drops the indexes of executions_visibility that
// are not in keptVisibilityIndexes from the SQLite file at dsn. It runs
// before the server opens the file, and again at every start (a file made
// by an earlier build keeps its indexes until then).
func pruneVisibilityIndexes(dsn string) error {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'executions_visibility' AND sql IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("list visibility indexes: %w", err)
	}
	var drop []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		if !keptVisibilityIndexes[name] {
			drop = append(drop, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range drop {
		if strings.ContainsAny(name, "\"`[];") {
			return fmt.Errorf("unexpected index name %q", name)
		}
		if _, err := db.Exec(`DROP INDEX IF EXISTS "` + name + `"`); err != nil {
			return fmt.Errorf("drop visibility index %s: %w", name, err)
		}
	}
	return nil
}
