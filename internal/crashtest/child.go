// Package crashtest starts a test binary's own child test in a process of
// its own, for crash tests that kill it with SIGKILL while it writes.
package crashtest

import (
	"io"
	"os"
	"os/exec"
	"testing"
)

// Start runs the test binary's test named test (once, whatever the
// parent's -count) in a child process whose environment adds env=value,
// with the child's stderr going to the parent's, and returns the started
// command and a pipe from the child's stdout. The caller kills the child
// and waits for it.
func Start(t testing.TB, test, env, value string) (*exec.Cmd, io.ReadCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+value)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}
