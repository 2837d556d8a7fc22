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

// TestJavaScriptSDK runs the core SQS and SNS flows through the AWS SDK for
// JavaScript v3 (@aws-sdk/client-sqs, which speaks AWS JSON 1.0, and
// @aws-sdk/client-sns, which speaks Query/XML), pinned in
// test/js/package-lock.json and installed by scripts/test-deps.sh with
// npm ci. Without node or test/js/node_modules it skips, unless CI is set.
func TestJavaScriptSDK(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		missingClient(t, "no node on PATH")
	}
	for _, pkg := range []string{"@aws-sdk/client-sqs", "@aws-sdk/client-sns"} {
		if _, err := os.Stat(filepath.Join("js", "node_modules", pkg, "package.json")); err != nil {
			missingClient(t, "test/js/node_modules lacks %s", pkg)
		}
	}
	srv := sharedServer(t)
	for i, script := range []string{"sqs_flow.mjs", "sns_flow.mjs"} {
		t.Run(strings.TrimSuffix(script, "_flow.mjs"), func(t *testing.T) {
			t.Parallel()
			suffix := fmt.Sprintf("%d-%d", i, time.Now().UnixNano()%1e9)
			runNode(t, node, script, srv.URL, suffix)
		})
	}
}

// jsEnv is the environment of a JavaScript client: the test credentials,
// no config files of the machine, no instance metadata look-ups.
func jsEnv(t *testing.T) []string {
	dir := t.TempDir()
	env := []string{
		"AWS_ACCESS_KEY_ID=" + testAccessKey,
		"AWS_SECRET_ACCESS_KEY=" + testSecretKey,
		"AWS_REGION=" + testRegion,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		// The pinned SDK runs on node 20; only later releases need 22.
		"AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true",
		"HOME=" + dir,
	}
	return clientEnv(env, "NODE_")
}

// runNode runs a script of test/js with node, logs its output and fails
// the test if it exits non-zero.
func runNode(t *testing.T, node string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = "js"
	cmd.Env = jsEnv(t)
	out, err := cmd.CombinedOutput()
	t.Logf("node %s\n%s", strings.Join(args, " "), out)
	if err != nil {
		var failed []string
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "FAIL") || strings.Contains(line, "check(s) failed") {
				failed = append(failed, line)
			}
		}
		t.Fatalf("%s: %v\n%s", args[0], err, strings.Join(failed, "\n"))
	}
}
