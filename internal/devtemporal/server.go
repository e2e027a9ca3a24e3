// Package devtemporal runs a real Temporal server (and optionally its Web UI)
// inside the current process, persisted to SQLite. Only `make dev` and the
// test kit use it: the gateway and worker binaries never link the server.
package devtemporal

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"

	"gatehouse/internal/searchattr"
)

// Options configure one embedded server.
type Options struct {
	// FrontendAddr is the gRPC address clients dial, e.g. 127.0.0.1:7233.
	// Port 0 picks a free one.
	FrontendAddr string
	// UIAddr serves the Temporal Web UI; empty means no UI.
	UIAddr string
	// CodecEndpoint is the codec server the UI decodes payloads with
	// (the gateway's /codec); the browser sends its cookies to it.
	CodecEndpoint string
	// DatabaseFile persists the server; empty keeps everything in memory.
	DatabaseFile string
	Namespace    string
	Logger       *slog.Logger
	// DynamicConfig overrides the defaults set in dynamicConfig below.
	DynamicConfig map[string]any
}

// Server is a running embedded server.
type Server struct {
	server       temporal.Server
	ui           *uiserver.Server
	frontendAddr string
	uiAddr       string
	config       *settlingConfig
	settle       *time.Timer // turns off forced search-attribute refreshes
	// releases give back the ports ReservePorts chose; Stop calls them
	// once nothing listens on those ports any more.
	releases []func()
}

// FrontendAddr is the host:port clients dial.
func (s *Server) FrontendAddr() string { return s.frontendAddr }

// UIURL is the Web UI's base URL, or "" without UI.
func (s *Server) UIURL() string {
	if s.uiAddr == "" {
		return ""
	}
	return "http://" + s.uiAddr
}

// Start builds and starts the server; it returns once the frontend accepts
// connections.
func Start(opts Options) (*Server, error) {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{}
	// Until the server runs, an error gives the ports back.
	started := false
	defer func() {
		if !started {
			s.release()
		}
	}()
	host, frontendPort, release, err := resolvePort(opts.FrontendAddr)
	if err != nil {
		return nil, fmt.Errorf("frontend address: %w", err)
	}
	s.releases = append(s.releases, release)
	ports, release, err := ReservePorts(host, 4)
	if err != nil {
		return nil, err
	}
	s.releases = append(s.releases, release)
	frontendAddr := net.JoinHostPort(host, strconv.Itoa(frontendPort))

	sqlConf, visConf, err := sqlConfig(opts)
	if err != nil {
		return nil, err
	}
	conf := serverConfig(host, frontendPort, ports, sqlConf, visConf)
	logger := slogAdapter{log: opts.Logger}
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, err
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, err
	}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, svc := range map[primitives.ServiceName]string{
		primitives.FrontendService: "frontend", primitives.HistoryService: "history",
		primitives.MatchingService: "matching", primitives.WorkerService: "worker",
	} {
		hosts[name] = static.SingleLocalHost(net.JoinHostPort(host, strconv.Itoa(conf.Services[svc].RPC.GRPCPort)))
	}
	dc := newSettlingConfig(dynamicConfig(opts.DynamicConfig, opts.DatabaseFile != ""))
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dc),
	)
	if err != nil {
		return nil, fmt.Errorf("build temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	s.server, s.frontendAddr, s.config = srv, frontendAddr, dc
	if err := s.settleSearchAttributes(opts.Namespace, dc); err != nil {
		srv.Stop()
		return nil, fmt.Errorf("search attributes: %w", err)
	}
	if opts.UIAddr != "" {
		if err := s.startUI(opts, frontendAddr); err != nil {
			srv.Stop()
			return nil, err
		}
	}
	started = true
	return s, nil
}

// Stop stops the UI and the server and gives back their ports.
func (s *Server) Stop() {
	if s.settle != nil {
		s.settle.Stop()
	}
	if s.ui != nil {
		s.ui.Stop()
	}
	s.server.Stop()
	s.release()
}

func (s *Server) release() {
	for _, release := range s.releases {
		release()
	}
	s.releases = nil
}

func (s *Server) startUI(opts Options, frontendAddr string) error {
	uiHost, uiPort, release, err := resolvePort(opts.UIAddr)
	if err != nil {
		return fmt.Errorf("UI address: %w", err)
	}
	s.releases = append(s.releases, release)
	// The UI server exits the process when it cannot listen, so check first.
	l, err := net.Listen("tcp", net.JoinHostPort(uiHost, strconv.Itoa(uiPort)))
	if err != nil {
		return fmt.Errorf("temporal UI: %w", err)
	}
	l.Close()
	s.uiAddr = net.JoinHostPort(uiHost, strconv.Itoa(uiPort))
	s.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
		Host:                uiHost,
		Port:                uiPort,
		TemporalGRPCAddress: frontendAddr,
		EnableUI:            true,
		DefaultNamespace:    opts.Namespace,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
		DisableNewsFetch:    true,
		Codec: uiconfig.Codec{
			Endpoint:            opts.CodecEndpoint,
			IncludeCredentials:  opts.CodecEndpoint != "",
			DefaultErrorMessage: "Payloads are encrypted: sign in to the codec server with the admin token",
			DefaultErrorLink:    codecSessionURL(opts.CodecEndpoint),
		},
	}))
	go func() {
		if err := s.ui.Start(); err != nil {
			opts.Logger.Error("temporal UI stopped", "error", err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.UIURL() + "/healthz")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("temporal UI did not start within 10s")
}

// codecSessionURL is where an operator signs in so the UI may decode.
func codecSessionURL(endpoint string) string {
	if endpoint == "" {
		return ""
	}
	return strings.TrimSuffix(endpoint, "/") + "/session"
}

// sqlConfig returns the main store and the visibility store. The SQLite
// plugin gives each database one connection, so visibility (the Web UI's
// lists, written after every start, search-attribute upsert and close) gets
// a database of its own and stops queueing behind workflow progress.
func sqlConfig(opts Options) (main, vis *config.SQL, err error) {
	return sqlConfigWith(opts, searchattr.All())
}

// sqlConfigWith is sqlConfig creating the namespace, if new, with attrs.
func sqlConfigWith(opts Options, attrs map[string]enumspb.IndexedValueType) (main, vis *config.SQL, err error) {
	conf := func(name string, attrs map[string]string) *config.SQL {
		c := &config.SQL{PluginName: sqliteplugin.PluginName, DatabaseName: name, ConnectAttributes: map[string]string{}}
		maps.Copy(c.ConnectAttributes, attrs)
		return c
	}
	if opts.DatabaseFile == "" {
		name := fmt.Sprintf("gatehouse-%d-%d", os.Getpid(), time.Now().UnixNano())
		mem := map[string]string{"mode": "memory", "cache": "shared"}
		main, vis = conf(name, mem), conf(name+"-visibility", mem)
	} else {
		// WAL keeps readers off the writer's back and fsyncs less;
		// synchronous=NORMAL (1) syncs the WAL at checkpoints only: a
		// process crash loses nothing committed, a power loss may lose the
		// last commits. Together they halve the fsyncs of FULL + rollback.
		file := map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "1"}
		visFile := strings.TrimSuffix(opts.DatabaseFile, filepath.Ext(opts.DatabaseFile)) + "-visibility" + filepath.Ext(opts.DatabaseFile)
		if fileExists(opts.DatabaseFile) && !fileExists(visFile) {
			visFile = opts.DatabaseFile // created before the split: keep its visibility records
		}
		main, vis = conf(opts.DatabaseFile, file), conf(visFile, file)
		if visFile != opts.DatabaseFile {
			// Visibility records are written on prepared statements over a
			// connection of their own (visibilitywrites.go); the plugin's
			// connection reads. Each waits for the other's write to commit.
			vis.PluginName = preparedVisibilityPlugin
			vis.ConnectAttributes["busy_timeout"] = "10000"
		}
		if err := os.MkdirAll(filepath.Dir(opts.DatabaseFile), 0o755); err != nil {
			return nil, nil, err
		}
		for _, c := range []*config.SQL{main, vis} {
			if fileExists(c.DatabaseName) {
				continue
			}
			if err := sqliteschema.SetupSchema(c); err != nil {
				return nil, nil, fmt.Errorf("set up temporal schema in %s: %w", c.DatabaseName, err)
			}
		}
		if err := pruneVisibilityIndexes("file:" + vis.DatabaseName + "?_pragma=journal_mode(wal)"); err != nil {
			return nil, nil, err
		}
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, attrs)
	if err != nil {
		return nil, nil, err
	}
	// Skips a namespace that already exists; searchattr.Ensure adds
	// attributes introduced after the file was created.
	if err := sqliteschema.CreateNamespaces(main, ns); err != nil {
		return nil, nil, fmt.Errorf("create namespace: %w", err)
	}
	return main, vis, nil
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

const (
	clusterName = "active"
	clusterID   = "6f1c1c3e-2d0a-4c1e-9b7e-0a9d3f6b5a10" // fixed: the SQLite file remembers it
)

func serverConfig(host string, frontendPort int, ports []int, sqlConf, visConf *config.SQL) *config.Config {
	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = host
	conf.Persistence.DefaultStore = "sqlite"
	conf.Persistence.VisibilityStore = "sqlite-visibility"
	// One shard: SQLite has one writer either way; more shards only add
	// shard bookkeeping (ack levels, ownership) per shard.
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: sqlConf}, "sqlite-visibility": {SQL: visConf}}
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             net.JoinHostPort(host, strconv.Itoa(frontendPort)),
				HTTPAddress:            net.JoinHostPort(host, strconv.Itoa(ports[0])),
				ClusterID:              clusterID,
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	svc := func(port int) config.Service {
		var s config.Service
		s.RPC.GRPCPort = port
		s.RPC.BindOnIP = host
		return s
	}
	frontend := svc(frontendPort)
	frontend.RPC.HTTPPort = ports[0]
	conf.Services = map[string]config.Service{
		"frontend": frontend,
		"history":  svc(ports[1]),
		"matching": svc(ports[2]),
		"worker":   svc(ports[3]),
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = net.JoinHostPort(host, strconv.Itoa(frontendPort))
	return &conf
}

// dynamicConfig holds the settings that matter on a one-host server;
// file is false for the tests' in-memory server.
func dynamicConfig(overrides map[string]any, file bool) dynamicconfig.StaticClient {
	dc := dynamicconfig.StaticClient{
		// One partition: on a single host, more partitions only add
		// forwarding and make polls miss tasks (see ../shared/README.md).
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():        8192,
		// Eager workflow start: a start from a process with a worker on the
		// task queue (the relay; the dev stack's gateway) gets the first
		// workflow task in its answer, skipping matching. The server's
		// default is on; set here so a default change cannot turn it off.
		dynamicconfig.EnableEagerWorkflowStart.Key(): true,
		// The Web UI lists workflows through visibility; the default limit
		// throttles it while the benchmark runs.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 200,
		// External payloads (payloads an SDK stored elsewhere, by
		// reference) are on by default, so the history service walks every
		// new history event's payloads to add up their sizes: 2.5 % of the
		// stack's CPU in the closed loop. Gatehouse stores none (its
		// payloads are small and inline), so the sum is always zero.
		dynamicconfig.ExternalPayloadsEnabled.Key(): false,
		// The history queues checkpoint every 5 s instead of every 30. Only a
		// checkpoint drops finished tasks from a queue's memory (and deletes
		// their rows); until then each split of a queue's slices walks them
		// all, so after a burst the next 30 s of work cost up to twice the
		// CPU. Alternating runs, one round each, one process:
		// SelfCheck right after 6,400 Noop starts 138-145/s at 11.9-12.5 ms
		// per workflow against 92-93/s at 19.6-19.9 ms; the closed loop
		// after the ingest 255-264 deliveries/s at 7.1-7.3 ms against
		// 174-260/s at 7.1-11.0 ms. Every 2 s measured the same as 5.
		dynamicconfig.TransferProcessorUpdateAckInterval.Key():   5 * time.Second,
		dynamicconfig.VisibilityProcessorUpdateAckInterval.Key(): 5 * time.Second,
		dynamicconfig.TimerProcessorUpdateAckInterval.Key():      5 * time.Second,
		// Persistence rate limits (frontend/history/matching.persistenceMaxQPS:
		// 2,000/9,000/3,000) are not reached at a few hundred workflows a
		// second: left at their defaults.
	}
	if file {
		// The visibility queue reads its tasks twice a second (pages of up
		// to 1,000) instead of at once. The server skips the start record
		// of a workflow that has closed by the time its task runs, and a
		// delivery whose first attempt succeeds closes within tens of
		// milliseconds: its start record, a quarter of the visibility
		// writes' CPU, is never written. The Web UI's lists lag by up to
		// half a second. Not in the tests' in-memory server, whose tests
		// read visibility right after acting.
		dc[dynamicconfig.VisibilityProcessorMaxPollRPS.Key()] = 2
		dc[dynamicconfig.VisibilityTaskBatchSize.Key()] = 1000
	}
	for k, v := range overrides {
		dc[dynamicconfig.MakeKey(k)] = v
	}
	return dc
}

// resolvePort splits host:port and replaces port 0 with a port reserved by
// ReservePorts; release gives it back (a no-op for a given port).
func resolvePort(addr string) (host string, port int, release func(), err error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, nil, err
	}
	if host == "" {
		host = "127.0.0.1"
	}
	port, err = strconv.Atoi(portStr)
	if err != nil {
		return "", 0, nil, err
	}
	if port != 0 {
		return host, port, func() {}, nil
	}
	ports, release, err := ReservePorts(host, 1)
	if err != nil {
		return "", 0, nil, err
	}
	return host, ports[0], release, nil
}
