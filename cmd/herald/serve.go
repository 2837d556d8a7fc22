package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/herald-dev/herald/internal/access"
	"github.com/herald-dev/herald/internal/metrics"
	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/server"
	"github.com/herald-dev/herald/internal/snsmsg"
	"github.com/herald-dev/herald/internal/store/logstore"
	"github.com/herald-dev/herald/internal/store/memstore"
	"github.com/herald-dev/herald/internal/topic"
)

type serveFlags struct {
	listen    string
	data      string
	inMemory  bool
	store     string
	account   string
	region    string
	publicURL string
	logLevel  string
	logFormat string
	pprof     bool
	publisher publisherFlags

	tlsListen, tlsCert, tlsKey string
	tlsSelfSigned              bool
	noAuth                     bool
	identities                 string
	maxLongPolls               int
	maxStoreBytes              int64
	maxQueues                  int
}

func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (*serveFlags, error) {
	f := &serveFlags{}
	fs := flag.NewFlagSet("herald serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: herald serve [flags]\n\nRuns the SQS- and SNS-compatible broker and the publisher (its API under /v1/). Every flag can also be set with the\nenvironment variable shown in brackets.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.listen, "listen", "127.0.0.1:9324", "`address` to listen on [HERALD_LISTEN]")
	fs.StringVar(&f.data, "data", "./herald-data", "`directory` that holds the durable store [HERALD_DATA]")
	fs.StringVar(&f.store, "store", "log", "durable store `engine`: log (an append-only log of segment files) or sqlite; a data directory that already holds herald.db keeps using SQLite [HERALD_STORE]")
	fs.BoolVar(&f.inMemory, "in-memory", false, "keep everything in memory: nothing survives a restart (tests, demos) [HERALD_IN_MEMORY]")
	fs.StringVar(&f.account, "account", "000000000000", "account `id` that owns queues and appears in URLs and ARNs [HERALD_ACCOUNT]")
	fs.StringVar(&f.region, "region", "us-east-1", "`region` that appears in ARNs [HERALD_REGION]")
	fs.StringVar(&f.publicURL, "public-url", "", "base `URL` advertised in queue URLs and in SNS messages' SubscribeURL, UnsubscribeURL and SigningCertURL, e.g. http://sqs.example:9324 (default: queue URLs use the host the client used, SNS links the listen address) [HERALD_PUBLIC_URL]")
	fs.StringVar(&f.logLevel, "log-level", "info", "log `level`: debug, info, warn or error [HERALD_LOG_LEVEL]")
	fs.StringVar(&f.logFormat, "log-format", "text", "log `format`: text or json [HERALD_LOG_FORMAT]")
	fs.BoolVar(&f.pprof, "pprof", false, "serve Go's profiler under /debug/pprof/ [HERALD_PPROF]")
	fs.StringVar(&f.tlsListen, "tls-listen", "", "`address` of an HTTPS listener beside the HTTP one (requests over it have aws:SecureTransport true) [HERALD_TLS_LISTEN]")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate `file` of the HTTPS listener [HERALD_TLS_CERT]")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key `file` of the HTTPS listener [HERALD_TLS_KEY]")
	fs.BoolVar(&f.tlsSelfSigned, "tls-self-signed", false, "serve HTTPS with a self-signed certificate for localhost kept in the data directory (development) [HERALD_TLS_SELF_SIGNED]")
	fs.BoolVar(&f.noAuth, "no-auth", false, "accept unsigned requests: no SigV4, no policies; every caller is the account's root (tests only) [HERALD_NO_AUTH]")
	fs.StringVar(&f.identities, "identities", "", "identities `file` (access keys, accounts, principals); default identities.json in the data directory, created with a development identity [HERALD_IDENTITIES]")
	fs.Int64Var(&f.maxStoreBytes, "max-store-bytes", 0, "cap on the durable store's live data in `bytes` (0: the disk's size); writes beyond it fail with ServiceUnavailable, as on a full disk, until deletes free room")
	fs.IntVar(&f.maxQueues, "max-queues", 100000, "most queues on the server (all accounts); CreateQueue beyond it fails with OverLimit [HERALD_MAX_QUEUES]")
	fs.IntVar(&f.maxLongPolls, "max-long-polls", 10000, "most ReceiveMessage calls waiting at once; more are refused with RequestThrottled [HERALD_MAX_LONG_POLLS]")
	f.publisher.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	if _, err := setFromEnv(fs, getenv); err != nil {
		return nil, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	if len(f.account) != 12 || strings.Trim(f.account, "0123456789") != "" {
		return nil, usageError{fmt.Sprintf("--account must be 12 digits, got %q", f.account)}
	}
	return f, nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level: %v", err)}
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("--log-format must be text or json, got %q", format)}
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f, err := parseServeFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	ids, pubIdentity, err := loadIdentities(f, log, stderr)
	if err != nil {
		return err
	}
	var store queue.Store
	dataDesc := "in memory (nothing survives a restart)"
	if f.inMemory {
		store = memstore.New()
	} else {
		if err := os.MkdirAll(f.data, 0o755); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
		s, path, err := openStore(ctx, f, log)
		if err != nil {
			return err
		}
		store = s
		abs, _ := filepath.Abs(path)
		dataDesc = abs
	}
	defer store.Close()

	engine, err := queue.Open(ctx, queue.Options{Store: store, Region: f.region, Logger: log, MaxQueues: f.maxQueues})
	if err != nil {
		return err
	}
	defer engine.Close()

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var signer *snsmsg.Signer
	if f.inMemory {
		signer, err = snsmsg.Ephemeral()
	} else {
		signer, err = snsmsg.LoadOrCreate(f.data)
	}
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("SNS signing key: %w", err)
	}
	baseURL := f.publicURL
	if baseURL == "" {
		baseURL = "http://" + ln.Addr().String()
	}
	var topics *topic.Engine
	var srvAccess *server.Access
	topicOpts := topic.Options{
		Queues: engine, Signer: signer, BaseURL: baseURL, Account: f.account, Region: f.region, Logger: log,
	}
	if ids != nil {
		var acc *access.Access
		acc, srvAccess = newAccess(f, ids, func() *topic.Engine { return topics }, log)
		topicOpts.AuthorizeSQS = acc.AuthorizeDelivery
	}
	topics, err = topic.Open(ctx, topicOpts)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer topics.Close()
	reg := metrics.NewRegistry()
	reg.RegisterProcess()
	if ls, ok := store.(*logstore.Store); ok {
		registerStoreMetrics(reg, ls)
	}
	pctx, stopPublisher := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPublisher()
	var pub *publisherService
	var pubAPI http.Handler
	if !f.publisher.disabled {
		if pub, err = startPublisher(pctx, f, "http://"+ln.Addr().String(), pubIdentity, log, reg); err != nil {
			_ = ln.Close()
			return err
		}
		defer pub.close()
		pubAPI = pub.api
	}
	srv := &http.Server{
		Handler: server.New(server.Config{
			Engine: engine, Topics: topics, Account: f.account, PublicURL: f.publicURL, Logger: log, Pprof: f.pprof,
			Registry: reg, Publisher: pubAPI, MaxLongPolls: f.maxLongPolls, Access: srvAccess,
		}),
		// Slow clients cannot hold connections: headers within 10 s, the
		// whole request within 60 s (responses, long polls included, are
		// not bounded), 64 KiB of headers at most.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	tcfg, certPath, err := tlsConfig(f)
	if err != nil {
		_ = ln.Close()
		return err
	}
	var tlsSrv *http.Server
	var tlsLn net.Listener
	if tcfg != nil {
		if tlsLn, err = net.Listen("tcp", f.tlsListen); err != nil {
			_ = ln.Close()
			return fmt.Errorf("tls listen: %w", err)
		}
		tlsSrv = &http.Server{
			Handler: srv.Handler, TLSConfig: tcfg,
			ReadHeaderTimeout: srv.ReadHeaderTimeout, ReadTimeout: srv.ReadTimeout, MaxHeaderBytes: srv.MaxHeaderBytes,
			IdleTimeout: srv.IdleTimeout, ErrorLog: srv.ErrorLog,
		}
	}
	log.Info("herald listening", "addr", "http://"+ln.Addr().String(), "data", dataDesc, "account", f.account, "region", f.region)
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if tlsSrv != nil {
		log.Info("herald listening over TLS", "addr", "https://"+tlsLn.Addr().String(), "certificate", certPath)
		go func() { errc <- tlsSrv.ServeTLS(tlsLn, "", "") }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// The relay stops first, releasing what it has in flight, while the
	// broker it may be delivering to still runs.
	stopPublisher()
	if pub != nil {
		pub.close()
	}
	// Wake long polls first so that shutdown does not wait 20 s for them.
	engine.Close()
	topics.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if tlsSrv != nil {
		_ = tlsSrv.Shutdown(sctx)
	}
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	return nil
}
