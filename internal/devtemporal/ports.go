package devtemporal

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// ReservePorts picks n ports on host that nothing listens on and reserves
// them for this process until release is called (or the process exits).
//
// The Temporal server binds its ports some time after they are chosen, so a
// port must stay ours in between. Listening on port 0 and closing the
// listener does not do that: `go test ./...` starts a server in every
// package's process, and any of them, or any outgoing connection (the
// kernel takes its local port from the same ephemeral range as port-0
// listeners), could take the port before the server binds it; Temporal's
// worker service then panics in a goroutine. So the ports come from below
// the ephemeral range, where the kernel hands out nothing by itself, and
// each is held by an exclusive flock on a file per port that every process
// using this package respects. The kernel drops the locks when a process
// dies, so a crashed test cannot leak a port.
func ReservePorts(host string, n int) (ports []int, release func(), err error) {
	lo, hi := portBand()
	return reservePorts(host, n, lo, hi)
}

// portBand is where ReservePorts looks: from 20000 up to the ephemeral
// range's start. A machine whose range leaves no room below gets the range
// itself: the locks still keep this package's processes apart.
func portBand() (lo, hi int) {
	const bandStart, minBand = 20000, 1000
	first, last := ephemeralRange()
	if first-bandStart >= minBand {
		return bandStart, first - 1
	}
	return first, last
}

// ephemeralRange is the kernel's range for port-0 listeners and outgoing
// connections (IPv6 uses the same setting).
func ephemeralRange() (first, last int) {
	const defFirst, defLast = 32768, 60999
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return defFirst, defLast
	}
	f := bytes.Fields(b)
	if len(f) != 2 {
		return defFirst, defLast
	}
	first, err1 := strconv.Atoi(string(f[0]))
	last, err2 := strconv.Atoi(string(f[1]))
	if err1 != nil || err2 != nil || first < 1024 || first > last || last > 65535 {
		return defFirst, defLast
	}
	return first, last
}

// reservePorts scans [lo, hi] once from a random point, so processes
// starting together mostly try different ports and a full band is an error,
// not a hang.
func reservePorts(host string, n, lo, hi int) ([]int, func(), error) {
	dir := filepath.Join(os.TempDir(), "gatehouse-ports")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("port locks: %w", err)
	}
	// Shared like /tmp, so every user's processes see each other's locks;
	// only the directory's creator can do this, and needs to once.
	os.Chmod(dir, 0o777|os.ModeSticky) //nolint:errcheck
	var (
		ports []int
		locks []*os.File
		last  error
	)
	release := func() {
		for _, f := range locks {
			f.Close()
		}
	}
	size := hi - lo + 1
	start := rand.IntN(size)
	for i := 0; i < size && len(ports) < n; i++ {
		port := lo + (start+i)%size
		f, err := reservePort(dir, host, port)
		if err != nil {
			last = err
			continue
		}
		ports = append(ports, port)
		locks = append(locks, f)
	}
	if len(ports) < n {
		release()
		return nil, nil, fmt.Errorf("reserve %d ports on %s in %d-%d: %d free, last refusal: %w", n, host, lo, hi, len(ports), last)
	}
	return ports, release, nil
}

var errPortLocked = errors.New("port reserved by another caller")

// reservePort locks port's file, then checks that nothing listens on the
// port. The file stays: removing it would let a process that opened it
// before the removal and one that creates it afresh both hold a lock.
func reservePort(dir, host string, port int) (*os.File, error) {
	// Read-only: flock needs no write access, so another user's file does.
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)+".lock"), os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("port %d: %w", port, errPortLocked)
		}
		return nil, fmt.Errorf("lock port %d: %w", port, err)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		f.Close()
		return nil, err
	}
	l.Close()
	return f, nil
}
