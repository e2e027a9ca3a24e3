package bench

import (
	"os"
	"slices"
	"sync"
	"time"
)

// fsyncEvery is how often the probe syncs a block to disk.
const fsyncEvery = 100 * time.Millisecond

// fsyncProbe writes a 4 KiB block and fsyncs it every fsyncEvery, in the
// temporary directory (the disk MariaDB and the SQLite files are on, here),
// and keeps the latencies. Every accepted event is a durable commit, so a
// disk whose fsync stalls now and then sets the latency tails: the probe
// makes that visible in the report, as the idle share does for the CPU.
// Ten small syncs a second add next to nothing to the disk's load.
type fsyncProbe struct {
	mu   sync.Mutex
	lat  []float64 // ms
	stop chan struct{}
	done chan struct{}
}

func startFsyncProbe() *fsyncProbe {
	p := &fsyncProbe{stop: make(chan struct{}), done: make(chan struct{})}
	f, err := os.CreateTemp("", "gatehouse-bench-fsync-*")
	if err != nil {
		close(p.done)
		return p
	}
	go func() {
		defer close(p.done)
		defer os.Remove(f.Name())
		defer f.Close()
		block := make([]byte, 4096)
		t := time.NewTicker(fsyncEvery)
		defer t.Stop()
		for {
			if _, err := f.WriteAt(block, 0); err == nil {
				start := time.Now()
				if f.Sync() == nil {
					ms := float64(time.Since(start).Microseconds()) / 1000
					p.mu.Lock()
					p.lat = append(p.lat, ms)
					p.mu.Unlock()
				}
			}
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// end stops the probe and returns the p99 and the longest fsync in ms
// (zeros when nothing was measured).
func (p *fsyncProbe) end() (p99, maxMs float64) {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.lat) == 0 {
		return 0, 0
	}
	s := slices.Clone(p.lat)
	slices.Sort(s)
	return round(s[min(len(s)-1, len(s)*99/100)]), round(s[len(s)-1])
}
