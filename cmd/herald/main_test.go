package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// syncBuffer is a bytes.Buffer safe for the server's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noEnv(string) string { return "" }

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{nil, "no command given", 2},
		{[]string{"bogus"}, `unknown command "bogus"`, 2},
		{[]string{"serve", "--no-such-flag"}, "flag provided but not defined", 2},
		{[]string{"serve", "--account", "12"}, "--account must be 12 digits", 2},
		{[]string{"serve", "--log-level", "loud"}, "--log-level", 2},
		{[]string{"serve", "extra"}, "serve takes no arguments", 2},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), tc.args, noEnv, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != tc.code {
			t.Errorf("run(%q) = %v (exit %d), want %q (exit %d)", tc.args, err, exitCode(err), tc.want, tc.code)
		}
	}
}

func TestHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, noEnv, &out, &errb); err != nil || !strings.Contains(out.String(), "serve") {
		t.Errorf("--help: %v %q", err, out.String())
	}
	err := run(context.Background(), []string{"serve", "--help"}, noEnv, &out, &errb)
	if !errors.Is(err, flag.ErrHelp) || exitCode(err) != 0 {
		t.Errorf("serve --help: %v", err)
	}
	for _, f := range []string{"-listen", "-data", "-in-memory", "-account", "-region", "-public-url", "-log-level", "-log-format", "-pprof"} {
		if !strings.Contains(errb.String(), f) {
			t.Errorf("serve --help does not explain %s", f)
		}
	}
}

// TestServe runs the broker on port 0 with a durable store, checks that it
// answers, and that cancelling the context shuts it down cleanly.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--data", dir}, noEnv, &out, &logs)
	}()
	addrRE := regexp.MustCompile(`addr=(http://\S+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("no listening line in the log: %s", logs.String())
	}
	if !strings.Contains(logs.String(), filepath.Join(dir, "log")) {
		t.Errorf("the listening line does not say where the data is: %s", logs.String())
	}
	// Unsigned requests are refused; the development identity printed on
	// first start signs requests that get in.
	resp, err := http.Post(base+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=CreateQueue&QueueName=x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("unsigned CreateQueue: status %d, want 403", resp.StatusCode)
	}
	keys := regexp.MustCompile(`export AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)`).FindStringSubmatch(logs.String())
	if keys == nil {
		t.Fatalf("no development identity printed: %s", logs.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "identities.json")); err != nil {
		t.Errorf("identities file: %v", err)
	}
	c := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(base),
		Credentials: credentials.NewStaticCredentialsProvider(keys[1], keys[2], ""), Retryer: aws.NopRetryer{}})
	if _, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("x")}); err != nil {
		t.Errorf("CreateQueue signed by the development identity: %v", err)
	}
	// The queue's creation was one commit of the log store, on /metrics.
	mresp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mbody, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	if m := regexp.MustCompile(`(?m)^herald_store_commits_total (\d+)`).FindSubmatch(mbody); m == nil || string(m[1]) == "0" {
		t.Errorf("/metrics lacks herald_store_commits_total > 0:\n%s", mbody)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after cancel", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
}
