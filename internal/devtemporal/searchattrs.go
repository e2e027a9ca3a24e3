package devtemporal

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/dynamicconfig"

	"gatehouse/internal/searchattr"
)

// searchAttributeCacheTTL is how long a server's search-attribute cache
// trusts itself without a forced refresh (the server's
// searchattribute.cacheRefreshInterval, 60 s), plus a margin.
const searchAttributeCacheTTL = 65 * time.Second

// settlingConfig is the dynamic config with one setting that changes:
// ForceSearchAttributesCacheRefreshOnRead. Forced, every read of the
// search attributes (each upsert's validation, each visibility write)
// reloads them from the database: under the bench that was 6 % of the
// stack's CPU. It is needed only until the attributes Gatehouse uses
// exist and every cache has seen them, so it is on from the start and
// turned off once they have settled (settleSearchAttributes).
type settlingConfig struct {
	dynamicconfig.StaticClient
	force atomic.Bool
}

var forceSARefreshKey = dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key()

func newSettlingConfig(static dynamicconfig.StaticClient) *settlingConfig {
	c := &settlingConfig{StaticClient: static}
	c.force.Store(true)
	return c
}

func (c *settlingConfig) GetValue(key dynamicconfig.Key) []dynamicconfig.ConstrainedValue {
	if key == forceSARefreshKey {
		return []dynamicconfig.ConstrainedValue{{Value: c.force.Load()}}
	}
	return c.StaticClient.GetValue(key)
}

// settleSearchAttributes registers the attributes the namespace lacks
// (a file made by an older build) and stops forcing cache refreshes:
// at once when nothing was missing (the namespace was created with them,
// before the server started, so no cache ever held less), else after the
// cache TTL, by when every cache that held the old set has expired.
func (s *Server) settleSearchAttributes(namespace string, c *settlingConfig) error {
	cl, err := client.Dial(client.Options{HostPort: s.frontendAddr, Namespace: namespace, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return fmt.Errorf("dial the embedded server: %w", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	added, err := searchattr.Ensure(ctx, cl, namespace)
	if err != nil {
		return err
	}
	if !added {
		c.force.Store(false)
		return nil
	}
	s.settle = time.AfterFunc(searchAttributeCacheTTL, func() { c.force.Store(false) })
	return nil
}
