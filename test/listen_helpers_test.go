package test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/metrics"
)

// listener is one running `herald listen` process.
type listener struct {
	args []string
	env  []string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	logBuf  strings.Builder
	stdout  strings.Builder
	metrics string // host:port of /metrics, when --metrics was given
	snsURL  string
}

var (
	listenStartedRE = regexp.MustCompile(`msg="herald listen started".* metrics=(\S*)`)
	snsListeningRE  = regexp.MustCompile(`msg="sns endpoint listening" url=(\S+)`)
)

// startListener starts herald listen with args and stops it (SIGTERM) when
// the test ends, printing its log if the test failed.
func startListener(t testing.TB, args ...string) *listener {
	t.Helper()
	l := &listener{args: args}
	if err := l.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		l.stop()
		if t.Failed() {
			t.Logf("herald listen log:\n%s", tail(l.logs(), 6000))
		}
	})
	return l
}

func (l *listener) start() error {
	cmd := exec.Command(heraldBin, append([]string{"listen"}, l.args...)...)
	cmd.Env = append(cmd.Environ(), l.env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start herald listen: %w", err)
	}
	done := make(chan struct{})
	ready := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			l.mu.Lock()
			l.stdout.WriteString(sc.Text() + "\n")
			l.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			l.mu.Lock()
			l.logBuf.WriteString(line + "\n")
			if m := snsListeningRE.FindStringSubmatch(line); m != nil {
				l.snsURL = m[1]
			}
			if m := listenStartedRE.FindStringSubmatch(line); m != nil && !signalled {
				l.metrics = m[1]
				signalled = true
				close(ready)
			}
			l.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() { wg.Wait(); _ = cmd.Wait(); close(done) }()
	l.mu.Lock()
	l.cmd, l.done = cmd, done
	l.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-done:
		return fmt.Errorf("herald listen exited before starting:\n%s", l.logs())
	case <-time.After(20 * time.Second):
		l.kill9()
		return fmt.Errorf("herald listen did not start within 20s:\n%s", l.logs())
	}
}

func (l *listener) logs() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.logBuf.String()
}

func (l *listener) output() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stdout.String()
}

func (l *listener) kill9() {
	l.mu.Lock()
	cmd, done := l.cmd, l.done
	l.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop sends SIGTERM and waits for the exit (killing after 20s); it
// reports whether the process exited by itself with status 0.
func (l *listener) stop() bool {
	l.mu.Lock()
	cmd, done := l.cmd, l.done
	l.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return true
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return cmd.ProcessState.Success()
	case <-time.After(20 * time.Second):
		l.kill9()
		return false
	}
}

// metric returns the value of one sample of the listener's /metrics, e.g.
// `herald_listen_events_total{outcome="stale"}`; -1 when absent.
func (l *listener) metric(t testing.TB, sample string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + l.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	v, ok, err := metrics.Sample(resp.Body, sample)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return -1
	}
	return v
}

// waitMetric waits until a metric reaches at least want.
func (l *listener) waitMetric(t testing.TB, sample string, want float64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v := l.metric(t, sample)
		if v >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v after %v, want >= %v", sample, v, timeout, want)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
