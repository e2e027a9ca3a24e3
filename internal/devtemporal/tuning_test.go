package devtemporal

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"

	"gatehouse/internal/searchattr"
)

func noop(workflow.Context) error { return nil }

// fileServer starts a server on SQLite files in a temporary directory, stopped
// when the test ends (after the cleanups registered later, such as
// noopWorker's), and returns it with its main database file.
func fileServer(t *testing.T) (*Server, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "temporal.sqlite")
	srv, err := Start(Options{FrontendAddr: "127.0.0.1:0", DatabaseFile: file, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv, file
}

// noopWorker dials srv and runs noop on taskQueue until the test ends.
func noopWorker(t *testing.T, srv *Server, taskQueue string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddr(), Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(noop)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return c
}

// A file-backed server keeps only the visibility indexes our queries use,
// answers a query on a column whose index it dropped, and stops forcing
// search-attribute refreshes once the attributes exist.
func TestFileServerTuning(t *testing.T) {
	srv, file := fileServer(t)
	if srv.config.force.Load() {
		t.Fatal("search-attribute refreshes still forced: the namespace was created with every attribute")
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(filepath.Dir(file), "temporal-visibility.sqlite")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var names []string
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'executions_visibility' AND sql IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	sort.Strings(names)
	if len(names) != len(keptVisibilityIndexes) {
		t.Fatalf("indexes %v, want the %d kept ones", names, len(keptVisibilityIndexes))
	}
	for _, n := range names {
		if !keptVisibilityIndexes[n] {
			t.Fatalf("index %s was not dropped", n)
		}
	}

	c := noopWorker(t, srv, "tuning")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "tuning-1", TaskQueue: "tuning",
		TypedSearchAttributes: temporalSA()}, noop)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// TaskQueue's index (by_task_queue) is gone: the query scans, and the
	// closed record shows up within the visibility queue's half second.
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default",
			Query: "TaskQueue = 'tuning' AND ExecutionStatus = 'Completed' AND " + searchattr.Site.GetName() + " = 'tuning-site'"})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetExecutions()) == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the closed workflow never showed in visibility")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func temporalSA() temporal.SearchAttributes {
	return temporal.NewSearchAttributes(searchattr.Site.ValueSet("tuning-site"))
}

// A data directory whose namespace predates some of Gatehouse's search
// attributes: Start registers them, and keeps forcing refreshes (until
// the caches that held the old set have expired), so a workflow can use
// them at once.
func TestOlderFileGetsItsSearchAttributes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "temporal.sqlite")
	main, _, err := sqlConfigWith(Options{DatabaseFile: file, Namespace: "default"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if main.DatabaseName != file {
		t.Fatalf("main store %s", main.DatabaseName)
	}
	srv, err := Start(Options{FrontendAddr: "127.0.0.1:0", DatabaseFile: file, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if !srv.config.force.Load() {
		t.Fatal("refreshes stopped although attributes were just added")
	}
	if srv.settle == nil {
		t.Fatal("no timer to stop forcing refreshes")
	}
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddr(), Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if added, err := searchattr.Ensure(ctx, c, "default"); err != nil || added {
		t.Fatalf("after Start, Ensure added %v (%v): every attribute should exist", added, err)
	}
	w := worker.New(c, "tuning-old", worker.Options{})
	w.RegisterWorkflow(noop)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "tuning-old-1", TaskQueue: "tuning-old",
		TypedSearchAttributes: temporalSA()}, noop)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

// The history queues checkpoint every few seconds: after a burst, the
// finished workflows' transfer and visibility tasks are gone (from memory
// and from the database) within 12 s, twice in a row. At the server's
// default (every 30 s, ±15 %) the second burst would wait 25 s or more.
func TestQueuesCheckpointOften(t *testing.T) {
	srv, file := fileServer(t)
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := noopWorker(t, srv, "checkpoint")
	for burst := range 2 {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		var runs []client.WorkflowRun
		for i := range 20 {
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("checkpoint-%d-%d", burst, i), TaskQueue: "checkpoint"}, noop)
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, run)
		}
		for _, run := range runs {
			if err := run.Get(ctx, nil); err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		done := time.Now()
		deadline := time.After(12 * time.Second)
		for {
			var left int
			if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM transfer_tasks) + (SELECT COUNT(*) FROM visibility_tasks)`).Scan(&left); err != nil {
				t.Fatal(err)
			}
			if left == 0 {
				t.Logf("burst %d: tasks deleted %s after the last workflow closed", burst, time.Since(done).Round(time.Millisecond))
				break
			}
			select {
			case <-deadline:
				t.Fatalf("burst %d: %d transfer and visibility tasks still stored 12 s after the workflows closed", burst, left)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// The compose file's Temporal server (docker-compose.yml) checkpoints its
// history queues as often as the embedded one: its dynamic config parses
// with the server's own loader, and each key reads as the same duration.
func TestComposeQueueCheckpointsMatch(t *testing.T) {
	done := make(chan any)
	defer close(done)
	fc, err := dynamicconfig.NewFileBasedClient(&dynamicconfig.FileBasedClientConfig{
		Filepath: "../../deploy/temporal/dynamicconfig.yaml", PollInterval: time.Minute}, log.NewNoopLogger(), done)
	if err != nil {
		t.Fatal(err)
	}
	compose := dynamicconfig.NewCollection(fc, log.NewNoopLogger())
	embedded := dynamicconfig.NewCollection(dynamicConfig(nil, true), log.NewNoopLogger())
	defaults := dynamicconfig.NewCollection(dynamicconfig.StaticClient{}, log.NewNoopLogger())
	for _, s := range []dynamicconfig.GlobalDurationSetting{dynamicconfig.TransferProcessorUpdateAckInterval,
		dynamicconfig.VisibilityProcessorUpdateAckInterval, dynamicconfig.TimerProcessorUpdateAckInterval} {
		got, want, def := s.Get(compose)(), s.Get(embedded)(), s.Get(defaults)()
		if got != want || want == def {
			t.Errorf("%s: compose %s, embedded %s (the server's default %s)", s.Key(), got, want, def)
		}
	}
}
