package ratelimit

import (
	"testing"
	"time"
)

func TestBurstThenRefill(t *testing.T) {
	l := New(60, 3) // one a second after a burst of three
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		if ok, _ := l.Allow("site/1.2.3.4", now); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("site/1.2.3.4", now)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("fourth: ok=%v wait=%s, want refused with a wait up to 1s", ok, wait)
	}
	if ok, _ := l.Allow("site/5.6.7.8", now); !ok {
		t.Fatal("another client shares the bucket")
	}
	if ok, _ := l.Allow("site/1.2.3.4", now.Add(time.Second)); !ok {
		t.Fatal("not refilled after a second")
	}
}

func TestIdleBucketsAreForgotten(t *testing.T) {
	l := New(60, 2)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		l.Allow(string(rune('a'+i%26))+time.Duration(i).String(), now)
	}
	l.Allow("late", now.Add(time.Minute))
	if n := l.Len(); n != 1 {
		t.Fatalf("%d buckets kept after they went idle", n)
	}
}
