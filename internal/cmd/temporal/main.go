// Command temporal runs the embedded Temporal server (internal/devtemporal)
// alone, persisted to SQLite, so the fault suite can run it as a process of
// its own and kill it. It prints "temporal ready <addr>" once the frontend
// answers and the search attributes are registered. Only for local runs: the
// gateway and worker binaries never link the server.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"gatehouse/internal/devtemporal"
	"gatehouse/internal/logging"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7233", "frontend gRPC address")
	db := flag.String("db", ".data/temporal.sqlite", "SQLite file the server persists to (visibility goes next to it)")
	namespace := flag.String("namespace", "default", "namespace to create")
	ui := flag.String("ui", "", "Web UI address; empty: no UI")
	flag.Parse()
	if err := run(*addr, *db, *namespace, *ui); err != nil {
		fmt.Fprintln(os.Stderr, "temporal:", err)
		os.Exit(1)
	}
}

func run(addr, db, namespace, ui string) error {
	log := logging.Stderr("json", slog.LevelWarn).With("process", "temporal")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := devtemporal.Start(devtemporal.Options{
		FrontendAddr: addr, UIAddr: ui, DatabaseFile: db, Namespace: namespace, Logger: log,
	})
	if err != nil {
		return err
	}
	defer srv.Stop()
	// Start registered the search attributes (searchattr.Ensure).
	fmt.Printf("temporal ready %s\n", srv.FrontendAddr())
	<-ctx.Done()
	return nil
}
