// Command faults runs the fault suite (make faults, make faults-short): the
// production shape on this machine under load, with SIGKILLs of a worker,
// a gateway, the Temporal server and MariaDB, then checks that nothing
// accepted was lost or left stuck. It exits 1 when the run fails.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"gatehouse/internal/faults"
)

func main() {
	short := flag.Bool("short", false, "the CI variant: about 90 s of load, every kill once")
	loadFor := flag.Duration("load", 0, "length of the steady load (default: 4m30s, -short 90s)")
	regRate := flag.Float64("registrations", 0, "registration webhooks per second")
	eventRate := flag.Float64("events", 0, "events per second")
	results := flag.String("results", "", "directory for the JSON and Markdown reports (default faults/results)")
	keep := flag.Bool("keep", false, "keep the run directory (process logs, MariaDB and Temporal data) after a passing run")
	flag.Parse()

	o := faults.Full()
	if *short {
		o = faults.Short()
	}
	if *loadFor > 0 {
		o.LoadFor = *loadFor
	}
	if *regRate > 0 {
		o.RegRate = *regRate
	}
	if *eventRate > 0 {
		o.EventRate = *eventRate
	}
	o.ResultsDir, o.Keep, o.Out = *results, *keep, os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := faults.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(2)
	}
	if !rep.Pass {
		if rep.RunDir != "" {
			fmt.Fprintln(os.Stderr, "faults: FAIL; process logs in", rep.RunDir)
		}
		os.Exit(1)
	}
}
