package bench

import (
	"os"
	"testing"
)

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and a ')' of its own; utime 1500, stime 250.
	line := "4242 (weird ) name) S 1 4242 4242 0 -1 4194560 5000 0 0 0 1500 250 0 0 20 0 12 0 100 1000000 500 18446744073709551615\n"
	got, err := parseStatCPU([]byte(line))
	if err != nil || got != 1750 {
		t.Fatalf("parseStatCPU = %d, %v; want 1750", got, err)
	}
	for _, bad := range []string{"", "1 (x S 1 2", "1 (x) S 1 2 3"} {
		if _, err := parseStatCPU([]byte(bad)); err == nil {
			t.Errorf("parseStatCPU(%q): no error", bad)
		}
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\tgatehouse\nVmPeak:\t  900 kB\nVmHWM:\t  471040 kB\nVmRSS:\t  300000 kB\n"
	if got, err := parseStatusKB([]byte(status), "VmHWM"); err != nil || got != 471040 {
		t.Fatalf("VmHWM = %d, %v", got, err)
	}
	if got, err := parseStatusKB([]byte(status), "VmRSS"); err != nil || got != 300000 {
		t.Fatalf("VmRSS = %d, %v", got, err)
	}
	if _, err := parseStatusKB([]byte(status), "VmSwap"); err == nil {
		t.Fatal("a missing line is an error, not 0")
	}
}

func TestParseProcStat(t *testing.T) {
	// guest and guest_nice (the last two) are already inside user and nice.
	b := []byte("cpu  100 5 50 800 40 1 2 2 30 0\ncpu0 50 2 25 400 20 0 1 1 15 0\n")
	m, err := parseProcStat(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Total != 1000 || m.Idle != 840 {
		t.Fatalf("got %+v, want total 1000, idle 840", m)
	}
	if _, err := parseProcStat([]byte("intr 1 2 3\n")); err == nil {
		t.Fatal("no cpu line: want an error")
	}
}

func TestShares(t *testing.T) {
	a := machineCPU{Total: 1000, Idle: 500}
	b := machineCPU{Total: 1400, Idle: 600} // 400 ticks: 100 idle, 300 busy
	idle, others := shares(a, b, 2.0)       // ours: 2 s = 200 ticks
	if idle != 0.25 || others != 0.25 {
		t.Fatalf("idle %v others %v, want 0.25 and 0.25", idle, others)
	}
	if idle, others := shares(a, a, 1); idle != 0 || others != 0 {
		t.Fatalf("no time passed: %v %v", idle, others)
	}
}

// The readers work on this process's own /proc files.
func TestProcSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := procCPU(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if kb, err := procMemKB(os.Getpid(), "VmRSS"); err != nil || kb <= 0 {
		t.Fatalf("VmRSS %d, %v", kb, err)
	}
	if _, err := readMachineCPU(); err != nil {
		t.Fatal(err)
	}
	if err := resetPeakRSS(os.Getpid()); err != nil {
		t.Logf("clear_refs not writable here (%v): the bench falls back to sampled VmRSS", err)
	}
}

// A split stack is measured per process: the CPU is the sum, the peak RSS
// the sum of the peaks but the engine worker's, and each process shows.
// (This process stands in for all three.)
func TestMonitorSplitStack(t *testing.T) {
	self := os.Getpid()
	m := &monitor{stack: []Proc{{"worker", self}, {"gateway", self}, {engineWorker, self}}, self: self}
	snap := m.begin()
	for i := 0; i < 2e7; i++ { // some CPU to measure
		_ = i * i
	}
	r := m.end(snap)
	if len(r.Processes) != 3 || r.Processes[0].Role != "worker" || r.Processes[2].Role != engineWorker {
		t.Fatalf("processes %+v", r.Processes)
	}
	var cpu float64
	for _, p := range r.Processes {
		cpu += p.CPUSeconds
	}
	if d := r.StackCPUSeconds - cpu; d > 0.002 || d < -0.002 {
		t.Fatalf("stack CPU %v, the processes' sum %v", r.StackCPUSeconds, cpu)
	}
	one := r.Processes[0].PeakRSSMiB
	if one <= 0 || r.PeakRSSMiB < 1.9*one || r.PeakRSSMiB > 2.1*one {
		t.Fatalf("peak RSS %v, want twice one process's %v (the engine worker's left out)", r.PeakRSSMiB, one)
	}
	// One process: no breakdown.
	m = &monitor{stack: []Proc{{"stack", self}}, self: self}
	if r := m.end(m.begin()); len(r.Processes) != 0 {
		t.Fatalf("one process: %+v", r.Processes)
	}
}
