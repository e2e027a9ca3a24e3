package web

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// A client that sends its body slowly is cut at the read timeout instead of
// holding a connection and a handler for as long as it likes.
func TestServerCutsSlowBodies(t *testing.T) {
	readErr := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		readErr <- err
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h, Timeouts{ReadHeader: time.Second, Read: 300 * time.Millisecond, Write: time.Second, Idle: time.Second, MaxHeaderBytes: 4 << 10})
	go srv.Serve(l) //nolint:errcheck
	defer srv.Close()

	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
	select {
	case err := <-readErr:
		if err == nil {
			t.Fatal("the handler read a body that never came")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the slow body was not cut")
	}
}

// The production server sets every timeout and caps headers.
func TestServerTimeoutsAreSet(t *testing.T) {
	s := NewServer(http.NotFoundHandler(), ServerTimeouts)
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes <= 0 || s.MaxHeaderBytes >= http.DefaultMaxHeaderBytes {
		t.Fatalf("%+v", ServerTimeouts)
	}
	if s.WriteTimeout < 150*time.Second {
		t.Fatal("the write timeout must outlast a channel test (120 s)")
	}
}
