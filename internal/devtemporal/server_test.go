package devtemporal

import (
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/server/common/config"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
)

func TestVisibilityGetsItsOwnDatabase(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "new", "temporal.sqlite")
	main, vis, err := sqlConfig(Options{DatabaseFile: file, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "new", "temporal-visibility.sqlite")
	if main.DatabaseName != file || vis.DatabaseName != want {
		t.Fatalf("main %s visibility %s", main.DatabaseName, vis.DatabaseName)
	}
	for _, f := range []string{file, want} {
		if _, err := os.Stat(f); err != nil {
			t.Fatal(err)
		}
	}
	// Starting again finds both and keeps them.
	if _, vis, err = sqlConfig(Options{DatabaseFile: file, Namespace: "default"}); err != nil || vis.DatabaseName != want {
		t.Fatalf("restart: visibility %s, %v", vis.DatabaseName, err)
	}
}

// A data directory from before the split keeps its visibility records.
func TestSingleFileDatabaseKeepsItsLayout(t *testing.T) {
	file := filepath.Join(t.TempDir(), "temporal.sqlite")
	old := &config.SQL{PluginName: sqliteplugin.PluginName, DatabaseName: file, ConnectAttributes: map[string]string{"mode": "rwc"}}
	if err := sqliteschema.SetupSchema(old); err != nil {
		t.Fatal(err)
	}
	_, vis, err := sqlConfig(Options{DatabaseFile: file, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if vis.DatabaseName != file {
		t.Fatalf("visibility moved to %s", vis.DatabaseName)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(file), "temporal-visibility.sqlite")); err == nil {
		t.Fatal("a visibility file was created next to a single-file database")
	}
}
