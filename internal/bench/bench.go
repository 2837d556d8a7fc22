// Package bench measures a running Herald broker through the AWS SDK for Go
// v2.
//
// It is the "herald bench" command: each scenario (single sends, batched
// sends, receive+delete cycles, open-loop paced sends) runs for a fixed time
// on a queue of its own against a live endpoint over real sockets, with SDK
// retries off so that every failed call is counted. Latencies go into a
// log-linear Histogram per goroutine; the results are printed as a table and,
// on request, as JSON.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// clientGCPercent is the GOGC of "herald bench" unless the environment sets
// one.
const clientGCPercent = 400

// Main runs the benchmark command with the arguments after "bench". It
// returns flag.ErrHelp after printing the usage for --help.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := ParseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "Run 'herald bench --help' for usage.")
		}
		return err
	}
	if os.Getenv("GOGC") == "" {
		// The SDK allocates a lot per call, and on a small machine this
		// process shares the CPUs with the broker it measures: collect
		// garbage less often than the default 100 so as to take less CPU
		// from the broker (about +40% msgs/s on 2 cores).
		defer debug.SetGCPercent(debug.SetGCPercent(clientGCPercent))
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	client, closeIdle := NewClient(cfg.Endpoint, cfg.Concurrency)
	defer closeIdle()
	fmt.Fprintf(stderr, "bench: %s, scenarios %s, %s each, %d clients, %d-byte bodies\n",
		cfg.Endpoint, strings.Join(cfg.Scenarios, ","), cfg.Duration, cfg.Concurrency, cfg.BodySize)
	results, err := Run(ctx, cfg, client, stderr)
	if len(results) > 0 {
		WriteTable(stdout, results)
		if cfg.JSON {
			if jerr := WriteJSON(stdout, cfg, results); jerr != nil && err == nil {
				err = jerr
			}
		}
	}
	return err
}

// Run runs cfg's scenarios one after the other against client and returns
// the result of each one that finished. It stops at the first scenario that
// could not run at all (its queue could not be created, say) or when ctx is
// done, returning the results so far with the error.
func Run(ctx context.Context, cfg *Config, client *sqs.Client, progress io.Writer) ([]*Result, error) {
	r := &runner{cfg: cfg, client: client, progress: progress, body: makeBody(cfg.BodySize)}
	var results []*Result
	for _, name := range cfg.Scenarios {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		var res *Result
		var err error
		if name == ScenarioFanout {
			res, err = r.fanout(ctx)
		} else {
			res, err = r.runScenario(ctx, name)
		}
		if err != nil {
			return results, fmt.Errorf("%s: %w", name, err)
		}
		if res != nil {
			res.BrokerLocal = isLocal(cfg.Endpoint)
		}
		results = append(results, res)
	}
	return results, ctx.Err()
}

// makeBody returns a printable body of n bytes.
func makeBody(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[i%len(alphabet)]
	}
	return string(b)
}
