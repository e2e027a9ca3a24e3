package temporalconn

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"gatehouse/internal/config"
)

// The first call of a dial (GetSystemInfo) reaches a gRPC server that
// records the request's grpc-encoding and refuses it: with compression
// none nothing is gzipped, with gzip the request is.
func TestDialCompression(t *testing.T) {
	for _, c := range []struct{ setting, want string }{{"none", ""}, {"gzip", "gzip"}} {
		t.Run(c.setting, func(t *testing.T) {
			got := make(chan string, 16)
			srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
				// grpc-encoding is a transport header, not metadata.
				ts, _ := grpc.ServerTransportStreamFromContext(stream.Context()).(interface{ RecvCompress() string })
				if ts == nil {
					got <- "unknown"
				} else {
					got <- ts.RecvCompress()
				}
				return status.Error(codes.Unavailable, "test server")
			}))
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(ln) //nolint:errcheck
			defer srv.Stop()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			cfg := config.TemporalConfig{Address: ln.Addr().String(), Namespace: "default", Compression: c.setting}
			_, err = Dial(ctx, cfg, slog.New(slog.DiscardHandler), client.Options{})
			if err == nil {
				t.Fatal("dial succeeded against a server that refuses everything")
			}
			select {
			case enc := <-got:
				if enc != c.want {
					t.Fatalf("grpc-encoding %q, want %q", enc, c.want)
				}
			default:
				t.Fatalf("no request reached the server: %v", errors.Unwrap(err))
			}
		})
	}
}
