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
	// PeakRSSMiB: the Gatehouse process's peak resident memory in the phase.
	PeakRSSMiB float64 `json:"peakRssMiB"`
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

// monitor measures the stack's processes over a phase.
type monitor struct {
	stack int   // the Gatehouse process
	db    []int // MariaDB server processes
	self  int   // the load generator (this process)
}

type snapshot struct {
	at                time.Time
	stack, db, self   float64
	machine           machineCPU
	stop              chan struct{}
	done              chan struct{}
	peakKB            int64
	mu                sync.Mutex
	hwmReset, sampled bool
	fsync             *fsyncProbe
}

func (m *monitor) cpu() (stack, db, self float64) {
	stack, _ = procCPU(m.stack)
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
	s := &snapshot{at: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	s.hwmReset = resetPeakRSS(m.stack) == nil
	s.stack, s.db, s.self = m.cpu()
	s.machine, _ = readMachineCPU()
	s.fsync = startFsyncProbe()
	go func() {
		defer close(s.done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			if kb, err := procMemKB(m.stack, "VmRSS"); err == nil {
				s.mu.Lock()
				s.peakKB, s.sampled = max(s.peakKB, kb), true
				s.mu.Unlock()
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
		StackCPUSeconds:    round3(stack - s.stack),
		DatabaseCPUSeconds: round3(db - s.db),
		LoadCPUSeconds:     round3(self - s.self),
	}
	peak := s.peakKB
	if s.hwmReset {
		if hwm, err := procMemKB(m.stack, "VmHWM"); err == nil {
			peak = max(peak, hwm)
		}
	}
	r.PeakRSSMiB = round(float64(peak) / 1024)
	r.FsyncP99ms, r.FsyncMaxMs = fsyncP99, fsyncMax
	r.IdleShare, r.OthersShare = shares(s.machine, mc, stack-s.stack+db-s.db+self-s.self)
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
