// Package temporalconn dials the Temporal frontend the same way for the
// gateway, the worker and the dev stack.
package temporalconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"

	"gatehouse/internal/config"
	"gatehouse/internal/logging"
	"gatehouse/internal/payloadcodec"
)

// Dial connects and checks the namespace is reachable. With payload keys
// configured, every payload the client or a worker built on it sends is
// encrypted (see payloadcodec), and so are failure messages.
func Dial(ctx context.Context, c config.TemporalConfig, log *slog.Logger, opts client.Options) (client.Client, error) {
	if len(c.PayloadKeys) > 0 && opts.DataConverter == nil {
		dc, err := payloadcodec.DataConverter(c.PayloadKeys)
		if err != nil {
			return nil, fmt.Errorf("GATEHOUSE_PAYLOAD_KEYS: %w", err)
		}
		opts.DataConverter = dc
		opts.FailureConverter = payloadcodec.FailureConverter(dc)
	}
	opts.HostPort = c.Address
	opts.Namespace = c.Namespace
	if opts.Logger == nil {
		opts.Logger = logging.SDK(log.With("component", "temporal-sdk"))
	}
	if c.TLS || c.TLSCertPath != "" || c.TLSCAPath != "" || c.APIKey != "" {
		tlsConf, err := tlsConfig(c)
		if err != nil {
			return nil, err
		}
		opts.ConnectionOptions.TLS = tlsConf
	}
	if c.Compression == "none" {
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	if c.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(c.APIKey)
	}
	cl, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("temporal %s: %w", c.Address, err)
	}
	return cl, nil
}

func tlsConfig(c config.TemporalConfig) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.TLSServerName}
	if c.TLSCertPath != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCertPath, c.TLSKeyPath)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CLIENT_CERT_PATH: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	if c.TLSCAPath != "" {
		pem, err := os.ReadFile(c.TLSCAPath)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_SERVER_CA_CERT_PATH: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TEMPORAL_TLS_SERVER_CA_CERT_PATH: no certificate in %s", c.TLSCAPath)
		}
		conf.RootCAs = pool
	}
	return conf, nil
}
