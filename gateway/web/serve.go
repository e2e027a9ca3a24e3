package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts of the gateway's HTTP server.
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
	MaxHeaderBytes                int
}

// ServerTimeouts bound what a slow or idle client can hold. Read covers the
// whole request: a MaxBody (1 MiB) body then needs 35 KB/s. Write runs from
// the end of the headers to the end of the answer, so it must outlast the
// slowest legitimate handler: a channel test waits up to 120 s for its
// target (notify.MaxTimeoutSeconds) and POST /api/v1/deliveries/recover
// restarts every failed delivery since T in one request; Go does not stop
// the handler at the deadline, only its answer would be lost, so 5 minutes.
var ServerTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 5 * time.Minute,
	Idle: 2 * time.Minute, MaxHeaderBytes: 64 << 10}

// NewServer is the gateway's http.Server with the timeouts t.
func NewServer(h http.Handler, t Timeouts) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write,
		IdleTimeout: t.Idle, MaxHeaderBytes: t.MaxHeaderBytes}
}

// Serve runs the HTTP server until ctx ends, then drains open requests.
func Serve(ctx context.Context, addr string, h http.Handler, drain time.Duration, log *slog.Logger) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := NewServer(h, ServerTimeouts)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	log.Info("gateway listening", "addr", l.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("gateway stopped")
	return nil
}
