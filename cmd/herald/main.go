// Command herald is Herald's single binary: the SQS- and SNS-compatible
// broker (serve), the notification consumer (listen) and the benchmark
// (bench).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal starts a graceful shutdown; restoring the default
	// handling then lets a second one end the process at once.
	context.AfterFunc(ctx, stop)
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "herald:", err)
		}
		os.Exit(exitCode(err))
	}
}

func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// usageError is a command-line mistake (exit status 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

const usage = `Herald: status-change notifications over SQS and SNS: the broker, the
publisher and the consumer.

Usage:
  herald <command> [flags]

Commands:
  serve          run the broker (SQS JSON 1.0 and Query protocols, SNS, durable
                 store) and the publisher (its API under /v1/)
  publish        send events to a running publisher
  subscriptions  list, create, change, test and replay the publisher's subscriptions
  listen         consume notifications: dedupe, order, route to sinks, then delete
  bench          measure a running broker's throughput and latency
  version        print the version

Run 'herald <command> --help' for the flags of a command.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "listen":
		return runListen(ctx, args[1:], getenv, stdout, stderr)
	case "publish":
		return runPublish(ctx, args[1:], getenv, stdout, stderr)
	case "subscriptions":
		return runSubscriptions(ctx, args[1:], getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "herald", version)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
}
