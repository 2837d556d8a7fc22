package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The Python tests run the same core flows through real Python clients in
// both SQS protocols:
//
//   - the pyenv python3 with boto3 1.43 and awscli 1.45: AWS JSON 1.0;
//   - Debian's python3-boto3 1.26 under /usr/bin/python3 and Debian's awscli
//     2.9 (/usr/bin/aws): Query/XML.
//
// scripts/test-deps.sh installs them. Each client is called by its explicit
// path. A missing client skips its test, unless CI is set, where it fails.

// missingClient skips (or, under CI, fails) the test for a missing client.
func missingClient(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + " (run scripts/test-deps.sh)"
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set and a client is missing: %s", msg)
	}
	t.Skip(msg)
}

// pyenvPython finds the first python3 on PATH that is not the system one
// (/usr/bin, /bin): pyenv's shim on the project's machine image.
func pyenvPython() string {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, "python3")
		st, err := os.Stat(p)
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			continue
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			continue
		}
		if strings.HasPrefix(real, "/usr/bin/") || strings.HasPrefix(real, "/bin/") {
			continue
		}
		return p
	}
	return ""
}

// pyHas reports whether python can import module and its version starts
// with prefix.
func pyHas(python, module, prefix string) (string, bool) {
	out, err := exec.Command(python, "-c", "import "+module+"; print("+module+".__version__)").Output()
	v := strings.TrimSpace(string(out))
	return v, err == nil && strings.HasPrefix(v, prefix)
}

// pyEnv is the environment of a Python client: dummy credentials, no
// config files of the machine, no pager, no instance metadata look-ups.
func pyEnv(t *testing.T) []string {
	dir := t.TempDir()
	env := []string{
		"AWS_ACCESS_KEY_ID=AKIDTEST",
		"AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=" + testRegion,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
		"PYTHONUTF8=1",
		"PYTHONDONTWRITEBYTECODE=1",
		"HOME=" + dir,
	}
	return clientEnv(env, "PYTHON")
}

// clientEnv is set followed by this process's environment without the
// variables a client would read in its place: AWS_*, HOME and those
// starting with own (the runtime's, e.g. NODE_ or PYTHON).
func clientEnv(set []string, own string) []string {
	env := set
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || k == "HOME" || strings.HasPrefix(k, own) {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// runPy runs a script of test/py with the given interpreter and arguments,
// logs its output and fails the test if it exits non-zero.
func runPy(t *testing.T, argv []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = "py"
	cmd.Env = pyEnv(t)
	out, err := cmd.CombinedOutput()
	t.Logf("%s\n%s", strings.Join(argv, " "), out)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(argv[1]), err)
	}
}

func TestPython(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	pyenv := pyenvPython()
	const debPy, debAWS = "/usr/bin/python3", "/usr/bin/aws"

	clients := []struct {
		name     string
		protocol string
		// argv builds the command line for the endpoint and name suffix.
		setup func(t *testing.T) []string
	}{
		{"boto3-1.43-json", "json", func(t *testing.T) []string {
			if pyenv == "" {
				missingClient(t, "no pyenv python3 on PATH")
			}
			if v, ok := pyHas(pyenv, "boto3", "1.43."); !ok {
				missingClient(t, "%s has boto3 %q, want 1.43", pyenv, v)
			}
			return []string{pyenv, "boto3_flow.py"}
		}},
		{"boto3-1.26-query", "query", func(t *testing.T) []string {
			if v, ok := pyHas(debPy, "boto3", "1.26."); !ok {
				missingClient(t, "%s has boto3 %q, want Debian's python3-boto3 1.26", debPy, v)
			}
			return []string{debPy, "boto3_flow.py"}
		}},
		{"awscli-1.45-json", "json", func(t *testing.T) []string {
			if pyenv == "" {
				missingClient(t, "no pyenv python3 on PATH")
			}
			if v, ok := pyHas(pyenv, "awscli", "1.45."); !ok {
				missingClient(t, "%s has awscli %q, want 1.45", pyenv, v)
			}
			return []string{pyenv, "cli_flow.py"}
		}},
		{"awscli-2.9-query", "query", func(t *testing.T) []string {
			out, err := exec.Command(debAWS, "--version").CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "aws-cli/2.9.") {
				missingClient(t, "%s --version: %q %v, want Debian's awscli 2.9", debAWS, strings.TrimSpace(string(out)), err)
			}
			return []string{debPy, "cli_flow.py"}
		}},
	}
	for i, cl := range clients {
		t.Run(cl.name, func(t *testing.T) {
			t.Parallel()
			argv := cl.setup(t)
			suffix := fmt.Sprintf("%d-%d", i, time.Now().UnixNano()%1e9)
			argv = append(argv, srv.URL, cl.protocol, suffix)
			if strings.HasPrefix(cl.name, "awscli-1") {
				argv = append(argv, pyenv, "-m", "awscli")
			} else if strings.HasPrefix(cl.name, "awscli-2") {
				argv = append(argv, debAWS)
			}
			runPy(t, argv)
		})
	}
}
