package test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestSNSPython runs the core SNS flow through the Python clients that
// python_test.go runs for SQS: boto3 1.43 and awscli 1.45 under pyenv's
// python3, Debian's python3-boto3 1.26 and awscli 2.9. Every one of them
// speaks Query/XML to SNS (their SQS protocol differs, which the scripts do
// not care about). A missing client skips its case unless CI is set.
func TestSNSPython(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	pyenv := pyenvPython()
	const debPy, debAWS = "/usr/bin/python3", "/usr/bin/aws"

	clients := []struct {
		name  string
		setup func(t *testing.T) (script []string, cli []string)
	}{
		{"boto3-1.43", func(t *testing.T) ([]string, []string) {
			if pyenv == "" {
				missingClient(t, "no pyenv python3 on PATH")
			}
			if v, ok := pyHas(pyenv, "boto3", "1.43."); !ok {
				missingClient(t, "%s has boto3 %q, want 1.43", pyenv, v)
			}
			return []string{pyenv, "sns_boto3_flow.py"}, nil
		}},
		{"boto3-1.26", func(t *testing.T) ([]string, []string) {
			if v, ok := pyHas(debPy, "boto3", "1.26."); !ok {
				missingClient(t, "%s has boto3 %q, want Debian's python3-boto3 1.26", debPy, v)
			}
			return []string{debPy, "sns_boto3_flow.py"}, nil
		}},
		{"awscli-1.45", func(t *testing.T) ([]string, []string) {
			if pyenv == "" {
				missingClient(t, "no pyenv python3 on PATH")
			}
			if v, ok := pyHas(pyenv, "awscli", "1.45."); !ok {
				missingClient(t, "%s has awscli %q, want 1.45", pyenv, v)
			}
			// Each CLI command through pyenv's shim would start a shell and
			// pyenv first: run the interpreter the shim picks directly.
			py := pyenv
			if out, err := exec.Command(pyenv, "-c", "import sys; print(sys.executable)").Output(); err == nil && strings.TrimSpace(string(out)) != "" {
				py = strings.TrimSpace(string(out))
			}
			return []string{py, "sns_cli_flow.py"}, []string{py, "-m", "awscli"}
		}},
		{"awscli-2.9", func(t *testing.T) ([]string, []string) {
			out, err := exec.Command(debAWS, "--version").CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "aws-cli/2.9.") {
				missingClient(t, "%s --version: %q %v, want Debian's awscli 2.9", debAWS, strings.TrimSpace(string(out)), err)
			}
			return []string{debPy, "sns_cli_flow.py"}, []string{debAWS}
		}},
	}
	for i, cl := range clients {
		t.Run(cl.name, func(t *testing.T) {
			t.Parallel()
			script, cli := cl.setup(t)
			suffix := fmt.Sprintf("%d-%d", i, time.Now().UnixNano()%1e9)
			argv := append(append(script, srv.URL, suffix), cli...)
			runPy(t, argv)
		})
	}
}
