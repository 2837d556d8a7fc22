// Package test holds Herald's black-box tests: they build the herald binary
// once, start it as a separate process and drive it with real clients (the
// AWS SDK for Go v2, boto3 and the aws CLI in both SQS protocols, and raw
// HTTP for the golden wire files).
//
// Environment:
//
//	HERALD_BIN=path         use this binary instead of building ./cmd/herald
//	HERALD_TEST_STORE=memory run the shared server with --in-memory instead
//	                        of the durable store (crash tests always use it)
//	CI=true                 a missing Python client fails instead of skipping
package test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// heraldBin is the binary under test, built once by TestMain.
var heraldBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "herald-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "test setup:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	testTmp = tmp

	if bin := os.Getenv("HERALD_BIN"); bin != "" {
		heraldBin = bin
	} else {
		heraldBin = filepath.Join(tmp, "herald")
		cmd := exec.Command("go", "build", "-o", heraldBin, "./cmd/herald")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build ./cmd/herald: %v\n%s", err, out)
			return 1
		}
	}
	if err := writeTestIdentities(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "test setup:", err)
		return 1
	}
	code := m.Run()
	shared.mu.Lock()
	if shared.srv != nil {
		shared.srv.stop()
		if code != 0 {
			fmt.Fprintf(os.Stderr, "shared herald server log (last 60 lines):\n%s\n", tail(shared.srv.logs(), 60))
		}
	}
	shared.mu.Unlock()
	return code
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// testTmp is a directory that lives as long as the test binary.
var testTmp string

// server is one running herald process.
type server struct {
	args []string // flags given to "herald serve", without --listen
	env  []string // extra environment, KEY=VALUE
	addr string   // host:port it listens on
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited
	logBuf strings.Builder
}

var listenRE = regexp.MustCompile(`msg="herald listening" addr=(http://\S+)`)

// launch starts herald serve with args on listen and waits until it is
// healthy.
func launch(listen string, args []string, env ...string) (*server, error) {
	s := &server{args: args, env: env}
	if err := s.start(listen); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *server) start(listen string) error {
	argv := append([]string{"serve", "--listen", listen}, s.args...)
	if !hasFlag(s.args, "no-auth") && !hasFlag(s.args, "identities") {
		argv = append(argv, "--identities", testIdentities)
	}
	cmd := exec.Command(heraldBin, argv...)
	if len(s.env) > 0 {
		cmd.Env = append(cmd.Environ(), s.env...)
	}
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start herald: %w", err)
	}
	done := make(chan struct{})
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		found := false
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.logBuf.WriteString(line)
			s.logBuf.WriteByte('\n')
			s.mu.Unlock()
			if !found {
				if m := listenRE.FindStringSubmatch(line); m != nil {
					found = true
					addrc <- m[1]
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = cmd.Wait()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	select {
	case u := <-addrc:
		s.URL = u
		s.addr = strings.TrimPrefix(u, "http://")
	case <-done:
		return fmt.Errorf("herald exited before listening:\n%s", s.logs())
	case <-time.After(15 * time.Second):
		s.kill9()
		return fmt.Errorf("herald did not log its listen address within 15s:\n%s", s.logs())
	}
	return s.waitHealthy(10 * time.Second)
}

func (s *server) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(s.URL + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/healthz not OK within %v: %v\n%s", timeout, err, s.logs())
		}
		select {
		case <-s.done:
			return fmt.Errorf("herald exited while waiting for /healthz:\n%s", s.logs())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// logs returns everything the server has logged so far.
func (s *server) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logBuf.String()
}

// kill9 kills the process with SIGKILL (a crash) and waits for it to exit.
func (s *server) kill9() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop asks the process to shut down (SIGTERM), then kills it after 10s.
func (s *server) stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.kill9()
	}
}

// restart kills the process with SIGKILL, if it still runs, and starts it
// again with the same flags (so the same --data directory) on the same
// address, so queue URLs stay valid.
func (s *server) restart(t testing.TB) {
	t.Helper()
	s.kill9()
	var err error
	for i := 0; i < 50; i++ {
		if err = s.start(s.addr); err == nil {
			return
		}
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("restart herald: %v", err)
}

// startServer starts a dedicated herald on 127.0.0.1:0 with the given flags
// and stops it when the test ends. Without --data or --in-memory among args
// it stores into a fresh --data directory. The server's log is printed if
// the test fails.
func startServer(t testing.TB, args ...string) *server {
	t.Helper()
	return startServerEnv(t, nil, args...)
}

// startServerEnv is startServer with extra environment (KEY=VALUE).
func startServerEnv(t testing.TB, env []string, args ...string) *server {
	t.Helper()
	if !hasStoreFlag(args) {
		args = append(args, "--data", t.TempDir())
	}
	s, err := launch("127.0.0.1:0", args, env...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("herald log:\n%s", s.logs())
		}
	})
	return s
}

// hasFlag reports whether args hold --name or --name=….
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// testIdentities is the identities file every test server reads (unless a
// test passes --no-auth or its own --identities): the keys the tests'
// clients sign with.
var testIdentities string

// Identities of the tests: the broker's account root (what every client
// signs as, also through AWS_ACCESS_KEY_ID for child processes), and a user
// of another account, for cross-account policy tests.
const (
	testAccessKey, testSecretKey   = "AKIDTEST", "secret"
	otherAccessKey, otherSecretKey = "AKIDOTHER", "othersecret"
	otherAccount                   = "111111111111"
	otherPrincipal                 = "arn:aws:iam::111111111111:user/partner"
	otherPrincipalID               = "AIDAPARTNERPRINCIPAL"
)

func writeTestIdentities(dir string) error {
	testIdentities = filepath.Join(dir, "identities.json")
	doc := fmt.Sprintf(`{"identities": [
  {"access_key_id": %q, "secret_access_key": %q, "account": "000000000000", "principal_arn": "arn:aws:iam::000000000000:root"},
  {"access_key_id": %q, "secret_access_key": %q, "account": %q, "principal_arn": %q, "principal_id": %q}
]}`, testAccessKey, testSecretKey, otherAccessKey, otherSecretKey, otherAccount, otherPrincipal, otherPrincipalID)
	if err := os.WriteFile(testIdentities, []byte(doc), 0o600); err != nil {
		return err
	}
	// herald listen and herald bench, started by tests, sign with these.
	os.Setenv("AWS_ACCESS_KEY_ID", testAccessKey)
	os.Setenv("AWS_SECRET_ACCESS_KEY", testSecretKey)
	os.Setenv("AWS_REGION", "us-east-1")
	return nil
}

func hasStoreFlag(args []string) bool {
	for _, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == "in-memory" || a == "data" || strings.HasPrefix(a, "data=") || strings.HasPrefix(a, "in-memory=") {
			return true
		}
	}
	return false
}

var shared struct {
	mu  sync.Mutex
	srv *server
	err error
}

// sharedServer returns the server that all independent tests share (each
// test uses its own queue names). It is started on first use and stopped by
// TestMain.
func sharedServer(t testing.TB) *server {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == nil && shared.err == nil {
		args := []string{"--data", filepath.Join(testTmp, "shared-data")}
		if os.Getenv("HERALD_TEST_STORE") == "memory" {
			args = []string{"--in-memory"}
		}
		shared.srv, shared.err = launch("127.0.0.1:0", args)
	}
	if shared.err != nil {
		t.Fatalf("shared server: %v", shared.err)
	}
	return shared.srv
}

// uniq returns a queue name unique to this test run: prefix, the test name
// and a counter, cut to fit SQS's 80-character limit.
func uniq(t testing.TB, prefix string) string {
	uniqMu.Lock()
	uniqN++
	n := uniqN
	uniqMu.Unlock()
	name := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(t.Name(), "-")
	s := fmt.Sprintf("%s-%d-%s", prefix, n, name)
	if len(s) > 70 {
		s = s[:70]
	}
	return s
}

var (
	uniqMu sync.Mutex
	uniqN  int
)

// ctxT returns a context that ends with the test (or after five minutes:
// parallel subtests may wait a while for their turn).
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond every 10ms until it returns true or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
