package devtemporal

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// childEnv makes the test binary, run again, reserve ports as another
// process would and print what it got (see TestChildReserves).
const childEnv = "GATEHOUSE_TEST_RESERVE"

// TestReservationsDoNotOverlap reserves from a narrow band twice in this
// process and once in another while all are held: each scan starts at a
// random point, so without the locks the three would overlap most runs.
func TestReservationsDoNotOverlap(t *testing.T) {
	lo, hi := testBand()
	a, releaseA, err := reservePorts("127.0.0.1", 20, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseA()
	b, releaseB, err := reservePorts("127.0.0.1", 20, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseB()
	c := inChild(t, fmt.Sprintf("band %d %d 20", lo, hi))
	seen := map[int]string{}
	for name, ports := range map[string][]int{"first": a, "second": b, "child": c} {
		if len(ports) != 20 {
			t.Fatalf("%s reservation: %d ports, want 20", name, len(ports))
		}
		for _, p := range ports {
			if other, ok := seen[p]; ok {
				t.Fatalf("port %d reserved by %s and %s", p, other, name)
			}
			seen[p] = name
		}
	}
}

// A held port is refused to this process and to another; once released,
// it can be reserved again.
func TestReleasedPortCanBeReservedAgain(t *testing.T) {
	lo, hi := testBand()
	ports, release, err := reservePorts("127.0.0.1", 1, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	p := ports[0]
	dir := filepath.Join(os.TempDir(), "gatehouse-ports")
	if f, err := reservePort(dir, "127.0.0.1", p); !errors.Is(err, errPortLocked) {
		if f != nil {
			f.Close()
		}
		t.Fatalf("second reservation of held port %d in this process: %v", p, err)
	}
	if got := inChild(t, fmt.Sprintf("port %d", p)); len(got) != 0 {
		t.Fatalf("child reserved held port %d", p)
	}
	release()
	f, err := reservePort(dir, "127.0.0.1", p)
	if err != nil {
		t.Fatalf("released port %d: %v", p, err)
	}
	f.Close()
	// And another process may have it too.
	if got := inChild(t, fmt.Sprintf("port %d", p)); !slices.Equal(got, []int{p}) {
		t.Fatalf("child could not reserve released port %d: got %v", p, got)
	}
}

func TestEphemeralRangeIsAboveBand(t *testing.T) {
	lo, hi := portBand()
	first, last := ephemeralRange()
	if lo > hi {
		t.Fatalf("band %d-%d", lo, hi)
	}
	if hi >= first && lo <= last && (lo != first || hi != last) {
		t.Fatalf("band %d-%d overlaps ephemeral range %d-%d", lo, hi, first, last)
	}
}

// TestChildReserves is the other process of the tests above; it does
// nothing in a normal run. It reserves, prints "reserved" and the ports it
// holds, and exits holding them (the kernel drops the locks).
func TestChildReserves(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("run by the reservation tests in a child process")
	}
	f := strings.Fields(spec)
	num := func(i int) int {
		n, err := strconv.Atoi(f[i])
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var got []int
	switch f[0] {
	case "band":
		ports, _, err := reservePorts("127.0.0.1", num(3), num(1), num(2))
		if err != nil {
			t.Fatal(err)
		}
		got = ports
	case "port":
		p := num(1)
		_, err := reservePort(filepath.Join(os.TempDir(), "gatehouse-ports"), "127.0.0.1", p)
		switch {
		case err == nil:
			got = []int{p}
		case !errors.Is(err, errPortLocked):
			t.Fatal(err)
		}
	}
	fmt.Println("reserved", strings.Trim(fmt.Sprint(got), "[]"))
}

func inChild(t *testing.T, spec string) []int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildReserves$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+spec)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %q: %v\n%s", spec, err, out)
	}
	for line := range strings.Lines(string(out)) {
		if rest, ok := strings.CutPrefix(line, "reserved"); ok {
			var ports []int
			for _, s := range strings.Fields(rest) {
				p, err := strconv.Atoi(s)
				if err != nil {
					t.Fatal(err)
				}
				ports = append(ports, p)
			}
			return ports
		}
	}
	t.Fatalf("child %q printed no reservation:\n%s", spec, out)
	return nil
}

// testBand is 100 ports at a random place in ReservePorts' band, so runs of
// these tests in parallel processes rarely share one.
func testBand() (lo, hi int) {
	lo, hi = portBand()
	lo += rand.IntN(hi - lo - 99)
	return lo, lo + 99
}
