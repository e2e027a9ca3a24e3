package dispatch

import (
	"errors"
	"testing"
	"time"
)

// The relay looks again at once after a full batch, every relayFollow
// while events flow, and at its poll interval once they have stopped for
// relayStay or while a dependency is down.
func TestRelayWait(t *testing.T) {
	const every = 500 * time.Millisecond
	down := errors.New("mysql down")
	for _, c := range []struct {
		name  string
		n     int
		err   error
		quiet time.Duration
		want  time.Duration
	}{
		{"full batch", 200, nil, 0, 0},
		{"some found", 3, nil, 0, relayFollow},
		{"none found, a stream a moment ago", 0, nil, relayStay / 2, relayFollow},
		{"none found, quiet for relayStay", 0, nil, relayStay, every},
		{"never found any", 0, nil, time.Since(time.Time{}), every},
		{"a dependency down mid-stream", 3, down, 0, every},
		{"a dependency down after a full batch", 200, down, 0, every},
	} {
		if got := relayWait(every, c.n, 200, c.err, c.quiet); got != c.want {
			t.Errorf("%s: wait %s, want %s", c.name, got, c.want)
		}
	}
	// A poll interval shorter than relayFollow is never slowed down.
	if got := relayWait(5*time.Millisecond, 3, 200, nil, 0); got != 5*time.Millisecond {
		t.Errorf("short poll interval: wait %s", got)
	}
}
