package bench

import (
	"testing"
	"time"
)

func TestFsyncProbeMeasures(t *testing.T) {
	p := startFsyncProbe()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.mu.Lock()
		n := len(p.lat)
		p.mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the probe measured nothing in 10 s")
		}
		time.Sleep(fsyncEvery)
	}
	p99, maxMs := p.end()
	if p99 < 0 || p99 > maxMs { // a RAM disk may sync in under 0.01 ms
		t.Fatalf("p99 %v max %v", p99, maxMs)
	}
	if again, _ := p.end(); again != p99 { // end twice is safe
		t.Fatalf("second end %v", again)
	}
}
