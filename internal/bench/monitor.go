package bench

import (
	"sync"
	"time"
)

// Resources is what one phase cost the machine, from /proc.
type Resources struct {
	WallSeconds float64 `json:"wallSeconds"`
	// StackCPUSeconds: the Gatehouse process (gateway, worker, embedded
	// Temporal server); DatabaseCPUSeconds: the MariaDB server, which other
	// users of the machine's server also load (see OthersShare).
	StackCPUSeconds    float64 `json:"stackCpuSeconds"`
	DatabaseCPUSeconds float64 `json:"databaseCpuSeconds"`
	LoadCPUSeconds     float64 `json:"loadGeneratorCpuSeconds"`
	// PeakRSSMiB: the Gatehouse process's peak resident memory in the phase
	// (split: the sum of each process's peak, but the engine worker's).
	PeakRSSMiB float64 `json:"peakRssMiB"`
	// Processes: each process's share when the stack is split.
	Processes []ProcResources `json:"processes,omitempty"`
	// IdleShare: the machine's idle (and iowait) share of all CPU time in
	// the phase; OthersShare: the share used by processes that are neither
	// the stack, the database nor the load generator. A high OthersShare
	// marks a noisy phase.
	IdleShare   float64 `json:"idleShare"`
	OthersShare float64 `json:"othersShare"`
	// FsyncP99ms, FsyncMaxMs: a 4 KiB write + fsync on the machine's disk
	// every 100 ms during the phase (fsyncProbe). A long tail here is a
	// long tail in every durable commit.
	FsyncP99ms float64 `json:"fsyncP99ms"`
	FsyncMaxMs float64 `json:"fsyncMaxMs"`
}

// CPUSeconds is the whole stack's CPU: Gatehouse plus MariaDB.
func (r Resources) CPUSeconds() float64 { return r.StackCPUSeconds + r.DatabaseCPUSeconds }

// ProcResources is one process's CPU and peak RSS in a phase.
type ProcResources struct {
	Role       string  `json:"role"`
	CPUSeconds float64 `json:"cpuSeconds"`
	PeakRSSMiB float64 `json:"peakRssMiB"`
}

// monitor measures the stack's processes over a phase.
type monitor struct {
	stack []Proc // the Gatehouse process, or each process of a split stack
	db    []int  // MariaDB server processes
	self  int    // the load generator (this process)
}

type snapshot struct {
	at       time.Time
	stack    []float64 // per process of the stack
	db, self float64
	machine  machineCPU
	stop     chan struct{}
	done     chan struct{}
	peakKB   []int64
	mu       sync.Mutex
	hwmReset []bool
	fsync    *fsyncProbe
}

func (m *monitor) cpu() (stack []float64, db, self float64) {
	for _, p := range m.stack {
		v, _ := procCPU(p.PID)
		stack = append(stack, v)
	}
	for _, p := range m.db {
		v, _ := procCPU(p)
		db += v
	}
	self, _ = procCPU(m.self)
	return stack, db, self
}

// begin snapshots the counters and samples the stack's RSS every 200 ms
// (VmHWM after a reset is exact; the samples cover a kernel without it).
func (m *monitor) begin() *snapshot {
	s := &snapshot{at: time.Now(), stop: make(chan struct{}), done: make(chan struct{}), peakKB: make([]int64, len(m.stack))}
	for _, p := range m.stack {
		s.hwmReset = append(s.hwmReset, resetPeakRSS(p.PID) == nil)
	}
	s.stack, s.db, s.self = m.cpu()
	s.machine, _ = readMachineCPU()
	s.fsync = startFsyncProbe()
	go func() {
		defer close(s.done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			for i, p := range m.stack {
				if kb, err := procMemKB(p.PID, "VmRSS"); err == nil {
					s.mu.Lock()
					s.peakKB[i] = max(s.peakKB[i], kb)
					s.mu.Unlock()
				}
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (m *monitor) end(s *snapshot) Resources {
	close(s.stop)
	<-s.done
	fsyncP99, fsyncMax := s.fsync.end()
	stack, db, self := m.cpu()
	mc, _ := readMachineCPU()
	r := Resources{
		WallSeconds:        round(time.Since(s.at).Seconds()),
		DatabaseCPUSeconds: round3(db - s.db),
		LoadCPUSeconds:     round3(self - s.self),
	}
	var stackCPU, peakMiB float64
	for i, p := range m.stack {
		peak := s.peakKB[i]
		if s.hwmReset[i] {
			if hwm, err := procMemKB(p.PID, "VmHWM"); err == nil {
				peak = max(peak, hwm)
			}
		}
		cpu := stack[i] - s.stack[i]
		stackCPU += cpu
		if p.Role != engineWorker {
			// The bench's own Noop worker: a few goroutines of the one
			// stack process, a whole binary (with the server linked) here.
			peakMiB += float64(peak) / 1024
		}
		if len(m.stack) > 1 {
			r.Processes = append(r.Processes, ProcResources{Role: p.Role, CPUSeconds: round3(cpu), PeakRSSMiB: round(float64(peak) / 1024)})
		}
	}
	r.StackCPUSeconds = round3(stackCPU)
	r.PeakRSSMiB = round(peakMiB)
	r.FsyncP99ms, r.FsyncMaxMs = fsyncP99, fsyncMax
	r.IdleShare, r.OthersShare = shares(s.machine, mc, stackCPU+db-s.db+self-s.self)
	return r
}

// shares are the idle share and the share of CPU time used by processes
// other than ours (oursSeconds) between two /proc/stat readings.
func shares(a, b machineCPU, oursSeconds float64) (idle, others float64) {
	total := b.Total - a.Total
	if total <= 0 {
		return 0, 0
	}
	idleTicks := b.Idle - a.Idle
	busy := float64(total-idleTicks) - oursSeconds*clockTicks
	return round3(float64(idleTicks) / float64(total)), round3(max(busy, 0) / float64(total))
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }
