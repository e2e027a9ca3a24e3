// Package faults is the fault suite (make faults): it runs Gatehouse in its
// production shape on this machine (MariaDB, the Temporal server, two
// workers and two gateways as processes of their own, an SMTP sink and an
// HTTP receiver that answers 503 for a while), loads it like CRMs would,
// SIGKILLs and restarts one process at a time, drains, and checks from
// MySQL, the sink and the receiver that nothing accepted was lost or left
// stuck. Only loopback addresses; every loop is bounded.
package faults

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Options size a run.
type Options struct {
	Variant        string        // "full" or "short"
	LoadFor        time.Duration // steady load; extended until the last kill has recovered
	RegRate        float64       // registration webhooks per second
	EventRate      float64       // events per second
	Down           time.Duration // kill to restart
	OutageFor      time.Duration // the receiver answers 503 this long, mid-run
	DrainFor       time.Duration // limit for the drain after the load
	RecoveryTarget time.Duration // a kill must recover within this
	ResultsDir     string        // where <time>.json and latest.* go; empty: faults/results in the repository
	Keep           bool          // keep the run directory (logs, data) even when the run passes
	Out            io.Writer
}

// Short is the CI variant: about 90 s of load, every kill once.
func Short() Options {
	return Options{Variant: "short", LoadFor: 90 * time.Second, RegRate: 8, EventRate: 8, Down: 3 * time.Second,
		OutageFor: 12 * time.Second, DrainFor: 3 * time.Minute, RecoveryTarget: 30 * time.Second}
}

// Full is make faults: four and a half minutes of load.
func Full() Options {
	return Options{Variant: "full", LoadFor: 270 * time.Second, RegRate: 8, EventRate: 8, Down: 5 * time.Second,
		OutageFor: 20 * time.Second, DrainFor: 5 * time.Minute, RecoveryTarget: 30 * time.Second}
}

// killTarget is one process the suite kills and restarts.
type killTarget struct {
	name    string
	p       *proc
	restart func(context.Context) error
}

// Run executes the suite and writes the report. The error is for runs that
// could not be carried out; a run that finds lost work returns a report
// with Pass false.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Out == nil {
		o.Out = os.Stdout
	}
	start := time.Now()
	var logMu sync.Mutex
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Fprintf(o.Out, "[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	repo, err := repoRoot()
	if err != nil {
		return nil, err
	}
	if o.ResultsDir == "" {
		o.ResultsDir = filepath.Join(repo, "faults", "results")
	}
	dir, err := os.MkdirTemp("", "gatehouse-faults-")
	if err != nil {
		return nil, err
	}
	logf("fault suite (%s): run directory %s", o.Variant, dir)
	rep := &Report{Variant: o.Variant, StartedAt: start.UTC(), RunDir: dir, RecoveryTargetSeconds: o.RecoveryTarget.Seconds()}
	keep := o.Keep
	defer func() {
		if !keep {
			os.RemoveAll(dir)
		}
	}()

	st, err := startStack(ctx, repo, dir, logf)
	if st != nil {
		defer st.stop()
	}
	if err != nil {
		keep = true
		return nil, fmt.Errorf("start: %w (logs in %s)", err, dir)
	}
	db, err := sql.Open("mysql", st.mdb.dsn(st.db)+"?parseTime=true&timeout=5s&readTimeout=30s")
	if err != nil {
		return nil, err
	}
	defer db.Close()

	tag := strings.ToLower(rand.Text()[:5])
	pr := newProber(st, tag)
	t0 := time.Now()
	at, _, err := pr.awaitRecovery(ctx, 60*time.Second, 30*time.Second)
	if err != nil {
		keep = true
		return nil, fmt.Errorf("the stack does not work before any fault: %w (logs in %s)", err, dir)
	}
	logf("baseline probe: registration email and delivered event in %.2fs", at.Sub(t0).Seconds())

	targets := []killTarget{
		{"worker", st.workers[0], func(ctx context.Context) error { return st.startWorker(ctx, 0) }},
		{"gateway", st.gwProcs[0], func(ctx context.Context) error { return st.startGateway(ctx, 0) }},
		{"temporal", st.temporal, func(ctx context.Context) error {
			if err := st.temporal.start(); err != nil {
				return err
			}
			return st.temporal.waitMarker(ctx, 120*time.Second)
		}},
		{"mariadb", st.mdb.proc, st.mdb.start},
	}

	l := newLoader(st, tag, 3*time.Minute)
	stopLoad := make(chan struct{})
	loadStart := time.Now()
	rep.loadStart = loadStart
	logf("load: %.0f registrations/s and %.0f events/s over %d gateways for %s", o.RegRate, o.EventRate, len(st.gateways), o.LoadFor)
	loadDone := make(chan struct{})
	go func() { defer close(loadDone); l.run(ctx, o.RegRate, o.EventRate, stopLoad) }()

	// The receiver's outage, in the middle of the run.
	outageDone := make(chan struct{})
	go func() {
		defer close(outageDone)
		select {
		case <-time.After(time.Duration(0.42 * float64(o.LoadFor))):
		case <-ctx.Done():
			return
		}
		st.rc.setFailing(true)
		rep.Outage.From = time.Since(loadStart).Seconds()
		logf("receiver: answering 503 for %s", o.OutageFor)
		select {
		case <-time.After(o.OutageFor):
		case <-ctx.Done():
		}
		st.rc.setFailing(false)
		rep.Outage.To = time.Since(loadStart).Seconds()
		logf("receiver: answering 2xx again")
	}()

	next := loadStart
	for i, t := range targets {
		planned := loadStart.Add(time.Duration(float64(o.LoadFor) * float64(i+1) / (float64(len(targets)) + 1.5)))
		if planned.Before(next) {
			planned = next
		}
		select {
		case <-time.After(time.Until(planned)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		k := killOne(ctx, st, pr, t, o, loadStart, logf)
		rep.Kills = append(rep.Kills, k)
		next = time.Now().Add(5 * time.Second)
	}
	loadEnd := loadStart.Add(o.LoadFor)
	if n := time.Now().Add(5 * time.Second); n.After(loadEnd) {
		loadEnd = n // the last recovery ran past the planned load: keep loading a little after it
	}
	select {
	case <-time.After(time.Until(loadEnd)):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	close(stopLoad)
	<-loadDone
	rep.Load.Seconds = round(time.Since(loadStart).Seconds())
	logf("load stopped after %.0fs; waiting for requests still retrying", rep.Load.Seconds)
	<-outageDone
	l.wait()

	logf("draining (limit %s)", o.DrainFor)
	drainStart := time.Now()
	s, drained, err := drain(ctx, db, st, l, o.DrainFor, 5*time.Second, logf)
	if err != nil {
		keep = true
		return nil, err
	}
	rep.DrainSeconds = round(time.Since(drainStart).Seconds())
	rep.Drained = drained
	logf("drain %s after %.1fs: %s", map[bool]string{true: "done", false: "timed out"}[drained], rep.DrainSeconds, s.summary())
	broken := workingLinks(ctx, s.mails, s.accepted)
	rep.build(o, st, l, s, broken)
	rep.Seconds = round(time.Since(start).Seconds())
	if !rep.Pass {
		keep = true
	}
	if keep {
		rep.RunDir = dir
	} else {
		rep.RunDir = ""
	}
	if err := rep.write(o.ResultsDir); err != nil {
		return rep, err
	}
	fmt.Fprintln(o.Out)
	fmt.Fprint(o.Out, rep.Markdown())
	return rep, nil
}

// killOne SIGKILLs one process, restarts it after o.Down and measures the
// time from the kill until a probe goes through end to end again.
func killOne(ctx context.Context, st *stack, pr *prober, t killTarget, o Options, loadStart time.Time, logf func(string, ...any)) Kill {
	k := Kill{Target: t.name, AtSecond: round(time.Since(loadStart).Seconds())}
	logf("kill -9 %s", t.p.name)
	killedAt := time.Now()
	k.KilledAt = killedAt
	if err := t.p.kill(); err != nil {
		k.Error = err.Error()
		logf("kill %s: %v", t.name, err)
		return k
	}
	select {
	case <-time.After(o.Down):
	case <-ctx.Done():
		k.Error = ctx.Err().Error()
		return k
	}
	restartAt := time.Now()
	k.DownSeconds = round(restartAt.Sub(killedAt).Seconds())
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	err := t.restart(rctx)
	cancel()
	if err != nil {
		k.Error = "restart: " + err.Error()
		logf("restart %s: %v", t.name, err)
		return k
	}
	k.ReadySeconds = round(time.Since(restartAt).Seconds())
	at, rounds, err := pr.awaitRecovery(ctx, 2*o.RecoveryTarget, 20*time.Second)
	k.ProbeRounds = rounds
	if err != nil {
		k.Error = "recovery: " + err.Error()
		logf("%s: %v", t.name, err)
		return k
	}
	k.RecoverySeconds = round(at.Sub(killedAt).Seconds())
	k.RecoveredAt = at
	logf("%s restarted (ready %.1fs after restart); a probe went through %.1fs after the kill", t.name, k.ReadySeconds, k.RecoverySeconds)
	return k
}

func round(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }
