package dispatch

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPriorityHoldsDispatchOnlyBehindAFastCrowd(t *testing.T) {
	var none *Priority
	none.Accepting()()
	if size, err := none.Wait(context.Background(), 32); size != 32 || err != nil || none.Busy(time.Now()) || none.Held() != 0 {
		t.Fatalf("a nil Priority holds back: round of %d, %v", size, err)
	}

	// busyAt accepts in flight, but few arriving and fewer than busyCrowd
	// on average: a small slow crowd (commits stalled behind the disk)
	// does not hold deliveries back.
	p := NewPriority()
	var done []func()
	for range busyAt {
		done = append(done, p.Accepting())
	}
	if ok, busy := p.turn(time.Now()); !ok || busy {
		t.Fatalf("%d accepts in flight, %d in the window: turn %v busy %v, want a full round", busyAt, busyAt, ok, busy)
	}
	// Nor is a closed loop's bunch: the crowd in flight, three quarters of
	// the busy rate arriving.
	for range p.busyPerWindow * 3 / 4 {
		p.Accepting()()
	}
	if ok, busy := p.turn(time.Now()); !ok || busy {
		t.Fatalf("%d accepts in flight, below the busy rate: turn %v busy %v, want a full round", busyAt, ok, busy)
	}
	// The same crowd arriving at the busy rate or faster is.
	for range p.busyPerWindow {
		p.Accepting()()
	}
	now := time.Now()
	if ok, busy := p.turn(now); !ok || !busy {
		t.Fatalf("busy, first in its slot: turn %v busy %v", ok, busy)
	}
	p.busyUntil.Store(now.Add(time.Hour).UnixNano()) // as if accepts kept coming
	if ok, _ := p.turn(now.Add(busySlot / 2)); ok {
		t.Fatal("a second round in the same slot while busy")
	}
	if ok, busy := p.turn(now.Add(busySlot)); !ok || !busy {
		t.Fatalf("the next slot: turn %v busy %v", ok, busy)
	}

	// A round let through while busy is small.
	p.mu.Lock()
	p.last = time.Time{}
	p.mu.Unlock()
	if size, err := p.Wait(context.Background(), 32); size != busyBatch || err != nil {
		t.Fatalf("busy, a free slot: round of %d (%v), want %d", size, err, busyBatch)
	}

	// Wait blocks while the slot is taken: it returns only when the
	// context ends (it would return nil at once if it did not wait).
	p.mu.Lock()
	p.last = time.Now().Add(time.Hour)
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.Wait(ctx, 32); !errors.Is(err, context.DeadlineExceeded) || p.Held() != 1 {
		t.Fatalf("Wait while busy and the slot taken: %v, %d held", err, p.Held())
	}

	// The accepts stop: busy ends busyHold after the last one.
	for _, f := range done {
		f()
	}
	p.busyUntil.Store(0)
	p.Accepting()()
	if ok, busy := p.turn(time.Now()); !ok || busy {
		t.Fatalf("quiet again: turn %v busy %v", ok, busy)
	}
	if size, err := p.Wait(context.Background(), 32); size != 32 || err != nil {
		t.Fatalf("quiet again: round of %d (%v), want 32", size, err)
	}
}

// A crowd that met the process dispatching arrives slowly (its accepts
// share the CPU with the deliveries), below the busy rate: it is noticed
// by how many of its accepts are in flight on average. A closed loop that
// waits for each event's callback is not, though all of it is in flight
// at each bunch's start: that holds dispatch only while it lasts.
func TestPriorityNoticesASlowCrowd(t *testing.T) {
	p := NewPriority()
	t0 := time.Now().Add(-time.Hour)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	// Twenty callers answered within 20 ms of each other, each accept
	// 70 ms, then 120 ms until its callback comes and it posts again: a
	// saturated closed loop, about 100 events/s.
	var now time.Duration
	for cycle := range 40 {
		for i := range 20 {
			begin := at(now + time.Duration(i)*time.Millisecond)
			p.begin(begin)
			if p.Busy(begin) != (i+1 >= busySurge) {
				t.Fatalf("a closed loop's bunch %d, %d in flight (load %.1f): busy %v", cycle, i+1, p.load, p.Busy(begin))
			}
		}
		// All of it in flight holds dispatch only as long as a surge.
		if after := at(now + 19*time.Millisecond + surgeHold + time.Millisecond); p.Busy(after) {
			t.Fatalf("a closed loop's bunch %d (load %.1f) made the process busy for longer than a surge", cycle, p.load)
		}
		for i := range 20 {
			p.end(at(now + time.Duration(70+i)*time.Millisecond))
		}
		now += 210 * time.Millisecond
	}
	// Twenty callers that post again at once, each accept 200 ms: 100
	// accepts a second, a quarter of the busy rate on 2 cores.
	now += time.Second
	start := now
	for range 20 {
		p.begin(at(now))
		now += 10 * time.Millisecond
	}
	for ; !p.Busy(at(now)); now += 10 * time.Millisecond {
		if now-start > 2*busyWindow {
			t.Fatalf("twenty slow callers: not busy after %v (load %.1f)", now-start, p.load)
		}
		p.end(at(now))
		p.begin(at(now))
	}
}

// A burst of callers arriving together holds dispatch from the
// busySurge-th accept in flight, before the average or the rate can show
// a crowd, and for surgeHold after.
func TestPrioritySurgeIsBusyAtOnce(t *testing.T) {
	p := NewPriority()
	var done []func()
	for range busySurge - 1 {
		done = append(done, p.Accepting())
	}
	if p.Busy(time.Now()) {
		t.Fatalf("%d accepts in flight, just arrived: busy", busySurge-1)
	}
	done = append(done, p.Accepting())
	now := time.Now()
	if !p.Busy(now) {
		t.Fatalf("%d accepts in flight at once: not busy", busySurge)
	}
	for _, f := range done {
		f()
	}
	if p.Busy(now.Add(surgeHold)) {
		t.Fatal("still busy surgeHold after the surge")
	}
}
