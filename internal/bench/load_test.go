package bench

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPct(t *testing.T) {
	var l []time.Duration
	for i := 1; i <= 100; i++ {
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := pct(l, c.p); got != c.want {
			t.Errorf("pct(1..100 ms, %v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := pct(l[:3], 0.5); got != 2*time.Millisecond {
		t.Errorf("median of 1,2,3 ms = %v", got)
	}
	if got := pct(nil, 0.5); got != 0 {
		t.Errorf("empty: %v", got)
	}
}

func TestSummarizeDoesNotReorderTheCallersSlice(t *testing.T) {
	l := []time.Duration{3, 1, 2}
	f := summarize(l, 1, time.Second)
	if f.Requests != 3 || f.Errors != 1 || f.PerSecond != 3 || !slices.Equal(l, []time.Duration{3, 1, 2}) {
		t.Fatalf("%+v %v", f, l)
	}
}

func TestTrend(t *testing.T) {
	t0 := time.Now()
	mk := func(lat func(i int) time.Duration) []sample {
		var s []sample
		for i := range 30 {
			// Shuffled send order: trend sorts by send time.
			j := (i * 7) % 30
			s = append(s, sample{sent: t0.Add(time.Duration(j) * 10 * time.Millisecond), latency: lat(j)})
		}
		return s
	}
	flat := trend(mk(func(int) time.Duration { return 40 * time.Millisecond }), 0)
	if !flat.Sustained || flat.FirstThirdP50ms != 40 || flat.LastThirdP50ms != 40 {
		t.Fatalf("flat: %+v", flat)
	}
	growing := trend(mk(func(i int) time.Duration { return time.Duration(i) * 100 * time.Millisecond }), 0)
	if growing.Sustained || growing.FirstThirdP50ms >= growing.LastThirdP50ms {
		t.Fatalf("growing backlog: %+v", growing)
	}
	// A backlog that started in the first third grows by seconds but less
	// than twofold (seen at 100/s: p50 8.7 s -> 16.4 s): not sustained.
	if tr := trend(mk(func(i int) time.Duration { return 8*time.Second + time.Duration(i)*300*time.Millisecond }), 0); tr.Sustained {
		t.Fatalf("late backlog: %+v", tr)
	}
	if tr := trend(mk(func(int) time.Duration { return 40 * time.Millisecond }), 1); tr.Sustained {
		t.Fatal("a lost event is not sustained")
	}
	// Jitter at low latency (10 → 30 ms) is within the 50 ms slack.
	if tr := trend(mk(func(i int) time.Duration { return time.Duration(10+i) * time.Millisecond }), 0); !tr.Sustained {
		t.Fatalf("jitter: %+v", tr)
	}
}

func TestPhaseOrderAlternates(t *testing.T) {
	if got := phaseOrder(4, 1); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Fatalf("round 1: %v", got)
	}
	if got := phaseOrder(4, 2); !slices.Equal(got, []int{3, 2, 1, 0}) {
		t.Fatalf("round 2: %v", got)
	}
	if got := phaseOrder(4, 3); !slices.Equal(got, phaseOrder(4, 1)) {
		t.Fatalf("round 3: %v", got)
	}
	// Over two rounds every phase has the same mean position.
	pos := map[int]int{}
	for r := 1; r <= 2; r++ {
		for i, p := range phaseOrder(5, r) {
			pos[p] += i
		}
	}
	for p, s := range pos {
		if s != 4 {
			t.Fatalf("phase %d: positions sum to %d, want 4", p, s)
		}
	}
}

func TestSummaryLeavesFailedRoundsOut(t *testing.T) {
	ok := func(round int, perSec, cpu float64) PhaseResult {
		return PhaseResult{Name: "events-ingest", Round: round, Unit: "delivered event", Units: 10, UnitsPerSecond: perSec,
			CPUmsPerUnit: cpu, Calls: &Figures{PerSecond: perSec * 2, P50ms: 10, P99ms: 20}}
	}
	rs := []PhaseResult{
		ok(1, 100, 40),
		{Name: "events-ingest", Round: 2, Unit: "delivered event", Failed: "timeout"},
		ok(3, 50, 20),
		{Name: "engine-start", Round: 1, Unit: "workflow", Units: 10, UnitsPerSecond: 200, CPUmsPerUnit: 5, Calls: &Figures{PerSecond: 200}},
	}
	ss := summarizePhases(rs)
	if len(ss) != 2 || ss[0].Name != "events-ingest" || ss[0].Rounds != 3 || ss[0].Failed != 1 {
		t.Fatalf("%+v", ss)
	}
	if ss[0].UnitsPerSecond != 75 || ss[0].CPUmsPerUnit != 30 || ss[0].CallsPerSecond != 150 {
		t.Fatalf("means over the two good rounds: %+v", ss[0])
	}
	r := ratios(ss)
	if r["eventsAcceptedToEngineStart"] != 0.75 || r["cpuPerIngestedEventToEngineFloor"] != 6 {
		t.Fatalf("ratios %v", r)
	}
	all := summarizePhases([]PhaseResult{{Name: "portal-ingest", Round: 1, Failed: "x"}})
	if len(ratios(all)) != 0 || all[0].Failed != 1 {
		t.Fatalf("an all-failed phase has no figure: %+v", all)
	}
}

func TestTargetsAndTable(t *testing.T) {
	yes := true
	ss := []Summary{
		{Name: "engine-start", Rounds: 1, CallsPerSecond: 100, CPUmsPerUnit: 5},
		{Name: "engine-one-activity", Rounds: 1, UnitsPerSecond: 40},
		{Name: "events-ingest", Rounds: 1, CallsPerSecond: 250, CallP99ms: 40},
		{Name: "deliveries-closed-loop", Rounds: 1, UnitsPerSecond: 50, CPUmsPerUnit: 20, EffectP50ms: 30},
		{Name: "events-at-50", Rounds: 1, EffectP99ms: 200},
		{Name: "events-at-100", Rounds: 1, Failed: 1},
		{Name: "portal-ingest", Rounds: 1, CallsPerSecond: 80, Sustained: &yes, Backlog: "p50 1 → 2 ms"},
	}
	rep := Report{Summary: ss, Ratios: ratios(ss), Failed: []string{"events-at-100 round 1: timeout"}}
	rep.Targets = targets(ss, rep.Ratios)
	met := map[string]bool{}
	for _, tg := range rep.Targets {
		met[tg.What] = tg.Met
	}
	want := map[string]bool{
		"events accepted ÷ bare StartWorkflow rate":         true, // 2.5
		"events POST p99 ms at 20 callers":                  true,
		"closed-loop deliveries ÷ one-activity completions": false, // 1.25
		"event → first attempt p99 ms at 50/s":              false,
		"100/s sustained (1 = no growing backlog)":          false, // failed phase
		"CPU ms per delivered event (stack + MariaDB)":      true,
	}
	for k, v := range want {
		if got, ok := met[k]; !ok || got != v {
			t.Errorf("%s: met %v (present %v), want %v", k, got, ok, v)
		}
	}
	var buf strings.Builder
	PrintSummary(&buf, rep)
	for _, s := range []string{"events-at-100", "FAILED", "eventsAcceptedToEngineStart", "2.50", "not met", "not measured"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, buf.String())
		}
	}
}

// One call that outlives the load must not stretch the phase: the rate is
// the calls completed within the load time, over it.
func TestClosedLoopRateIgnoresAStraggler(t *testing.T) {
	const d = 100 * time.Millisecond
	f := closedLoop(t.Context(), 4, d, func(_ context.Context, i int) error {
		if i == 0 {
			time.Sleep(3 * d) // the first call ends long after the load
		} else {
			time.Sleep(time.Millisecond)
		}
		return nil
	})
	if f.MaxMs < 300 || f.Seconds < 0.3 {
		t.Fatalf("the straggler is not in the figures: %+v", f)
	}
	// The straggler is not within d; the others' calls mostly are.
	within := int(math.Round(f.PerSecond * d.Seconds()))
	if within > f.Requests-1 || within < f.Requests/2 {
		t.Fatalf("rate %.2f/s counts %d calls within %s, want %d-%d", f.PerSecond, within, d, f.Requests/2, f.Requests-1)
	}
	// Divided by d, not by the ~3d the phase took.
	if stretched := float64(f.Requests) / f.Seconds; f.PerSecond < 2*stretched {
		t.Fatalf("rate %.2f/s, the stretched rate %.2f/s: %+v", f.PerSecond, stretched, f)
	}
}
