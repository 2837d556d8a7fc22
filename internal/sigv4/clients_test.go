package sigv4

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

// authServer answers every authenticated request with an empty success of
// the right protocol and records the verifier's verdicts.
type authServer struct {
	v       *Verifier
	mu      sync.Mutex
	results []string // "OK" or the error code
}

func newAuthServer(t *testing.T, service string) (*authServer, *httptest.Server) {
	s := &authServer{v: &Verifier{Lookup: lookup, Service: service, Region: testRegion}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *authServer) record(res string) {
	s.mu.Lock()
	s.results = append(s.results, res)
	s.mu.Unlock()
}

// verdicts returns and clears the recorded results.
func (s *authServer) verdicts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.results
	s.results = nil
	return out
}

func (s *authServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	isJSON := strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json")
	if _, err := s.v.Verify(r, body); err != nil {
		e := err.(*Error)
		s.record(e.Code)
		if isJSON {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.Header().Set("x-amzn-query-error", e.Code+";Sender")
			w.WriteHeader(e.Status)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + e.Code, "message": e.Message})
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.Status)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
			e.Code, xmlEscape(e.Message))
		return
	}
	s.record("OK")
	if isJSON {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte("{}"))
		return
	}
	action := r.URL.Query().Get("Action")
	if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
		action = form.Get("Action")
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%[1]sResponse><%[1]sResult/><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></%[1]sResponse>`, action)
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func wantVerdicts(t *testing.T, s *authServer, want ...string) {
	t.Helper()
	got := s.verdicts()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("server verdicts %v, want %v", got, want)
	}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestGoSDKClients(t *testing.T) {
	sqsSrv, sqsURL := newAuthServer(t, "sqs")
	snsSrv, snsURL := newAuthServer(t, "sns")
	ctx := context.Background()
	sqsClient := func(secret, token string) *sqs.Client {
		return sqs.New(sqs.Options{
			Region: testRegion, BaseEndpoint: aws.String(sqsURL.URL), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(testAK, secret, token),
		})
	}
	if _, err := sqsClient(testSecret, "").ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("a b/c~*+")}); err != nil {
		t.Fatalf("sqs ListQueues: %v", err)
	}
	if _, err := sqsClient(testSecret, "session-token").GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("q")}); err != nil {
		t.Fatalf("sqs GetQueueUrl with session token: %v", err)
	}
	wantVerdicts(t, sqsSrv, "OK", "OK")

	_, err := sqsClient("wrong-secret", "").ListQueues(ctx, &sqs.ListQueuesInput{})
	if apiCode(err) != CodeSignatureDoesNotMatch {
		t.Fatalf("wrong secret: %v", err)
	}
	wantVerdicts(t, sqsSrv, CodeSignatureDoesNotMatch)

	// SNS speaks the Query protocol: a signed form POST.
	snsClient := sns.New(sns.Options{
		Region: testRegion, BaseEndpoint: aws.String(snsURL.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSecret, ""),
	})
	if _, err := snsClient.ListTopics(ctx, &sns.ListTopicsInput{NextToken: aws.String("x y=z")}); err != nil {
		t.Fatalf("sns ListTopics: %v", err)
	}
	wantVerdicts(t, snsSrv, "OK")
	// An SQS-scoped signature sent to the SNS verifier.
	_, err = sqsClient(testSecret, "").ListQueues(ctx, &sqs.ListQueuesInput{}, func(o *sqs.Options) { o.BaseEndpoint = aws.String(snsURL.URL) })
	if apiCode(err) != CodeSignatureDoesNotMatch {
		t.Fatalf("sqs scope at sns: %v", err)
	}
	wantVerdicts(t, snsSrv, CodeSignatureDoesNotMatch)
}

func TestPresignedHTTPGet(t *testing.T) {
	s, srv := newAuthServer(t, "sqs")
	u := srv.URL + "/000000000000/my-queue?Action=GetQueueAttributes&AttributeName.1=All&X-Amz-Expires=60"
	r := presign(t, u, time.Now(), "")
	resp, err := http.Get(r.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	wantVerdicts(t, s, "OK")

	resp, err = http.Get(strings.Replace(r.URL.String(), "AttributeName.1=All", "AttributeName.1=Policy", 1))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("tampered: status %d", resp.StatusCode)
	}
	wantVerdicts(t, s, CodeSignatureDoesNotMatch)
}

// clientEnv is the environment of a Python client: the given credentials,
// none of the machine's AWS configuration.
func clientEnv(t *testing.T, secret string) []string {
	dir := t.TempDir()
	env := []string{
		"AWS_ACCESS_KEY_ID=" + testAK, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_DEFAULT_REGION=" + testRegion,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1", "PYTHONDONTWRITEBYTECODE=1", "HOME=" + dir,
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "AWS_") && k != "HOME" && !strings.HasPrefix(k, "PYTHON") {
			env = append(env, kv)
		}
	}
	return env
}

// pyenvBin finds name on PATH outside /usr/bin and /bin (pyenv's shims).
func pyenvBin(name string) string {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		real, err := filepath.EvalSymlinks(p)
		if err != nil || strings.HasPrefix(real, "/usr/bin/") || strings.HasPrefix(real, "/bin/") {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

const boto3Script = `
import sys, boto3, botocore
from botocore.config import Config
endpoint, service, secret, token = sys.argv[1:5]
c = boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
    aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key=secret,
    aws_session_token=token or None, config=Config(retries={"max_attempts": 1}))
print("protocol", c.meta.service_model.protocol, "botocore", botocore.__version__)
try:
    if service == "sqs":
        c.list_queues(QueueNamePrefix="a b/c~*+")
        c.get_queue_attributes(QueueUrl=endpoint + "/000000000000/my-queue", AttributeNames=["All"])
    else:
        c.list_topics(NextToken="x y=z")
except botocore.exceptions.ClientError as e:
    print("ERROR", e.response["Error"]["Code"])
    sys.exit(3)
print("OK")
`

func runClient(t *testing.T, env []string, argv ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	t.Logf("%s\n%s", strings.Join(argv, " "), out)
	return string(out), err
}

func TestBoto3(t *testing.T) {
	t.Parallel()
	script := filepath.Join(t.TempDir(), "client.py")
	if err := os.WriteFile(script, []byte(boto3Script), 0o600); err != nil {
		t.Fatal(err)
	}
	pythons := []struct{ name, python, protocol string }{
		{"pyenv boto3 (json)", pyenvBin("python3"), "json"},
		{"debian python3-boto3 (query)", "/usr/bin/python3", "query"},
	}
	for _, py := range pythons {
		t.Run(py.name, func(t *testing.T) {
			t.Parallel()
			if py.python == "" {
				t.Skip("no pyenv python3 on PATH")
			}
			if err := exec.Command(py.python, "-c", "import boto3").Run(); err != nil {
				t.Skipf("%s has no boto3: %v", py.python, err)
			}
			sqsSrv, sqsURL := newAuthServer(t, "sqs")
			snsSrv, snsURL := newAuthServer(t, "sns")
			out, err := runClient(t, clientEnv(t, testSecret), py.python, script, sqsURL.URL, "sqs", testSecret, "")
			if err != nil || !strings.Contains(out, "protocol "+py.protocol) {
				t.Fatalf("boto3 sqs: %v", err)
			}
			wantVerdicts(t, sqsSrv, "OK", "OK")
			if _, err := runClient(t, clientEnv(t, testSecret), py.python, script, sqsURL.URL, "sqs", testSecret, "tok/en+="); err != nil {
				t.Fatalf("boto3 sqs with session token: %v", err)
			}
			wantVerdicts(t, sqsSrv, "OK", "OK")
			out, err = runClient(t, clientEnv(t, testSecret), py.python, script, sqsURL.URL, "sqs", "wrong", "")
			if err == nil || !strings.Contains(out, "ERROR SignatureDoesNotMatch") {
				t.Fatalf("boto3 wrong secret: %v", err)
			}
			wantVerdicts(t, sqsSrv, CodeSignatureDoesNotMatch)
			if _, err := runClient(t, clientEnv(t, testSecret), py.python, script, snsURL.URL, "sns", testSecret, ""); err != nil {
				t.Fatalf("boto3 sns: %v", err)
			}
			wantVerdicts(t, snsSrv, "OK")
		})
	}
}

func TestAWSCLI(t *testing.T) {
	t.Parallel()
	clis := []struct{ name, bin, version string }{
		{"awscli v1 (json)", pyenvBin("aws"), "aws-cli/1."},
		{"debian awscli v2 (query)", "/usr/bin/aws", "aws-cli/2."},
	}
	for _, cli := range clis {
		t.Run(cli.name, func(t *testing.T) {
			t.Parallel()
			if cli.bin == "" {
				t.Skip("no pyenv aws on PATH")
			}
			v, err := exec.Command(cli.bin, "--version").CombinedOutput()
			if err != nil || !strings.HasPrefix(string(v), cli.version) {
				t.Skipf("%s --version: %q %v", cli.bin, strings.TrimSpace(string(v)), err)
			}
			s, srv := newAuthServer(t, "sqs")
			if _, err := runClient(t, clientEnv(t, testSecret), cli.bin, "--endpoint-url", srv.URL, "sqs", "list-queues", "--queue-name-prefix", "a b"); err != nil {
				t.Fatalf("aws sqs list-queues: %v", err)
			}
			wantVerdicts(t, s, "OK")
			out, err := runClient(t, clientEnv(t, "wrong"), cli.bin, "--endpoint-url", srv.URL, "sqs", "list-queues")
			if err == nil || !strings.Contains(out, "SignatureDoesNotMatch") {
				t.Fatalf("aws with wrong secret: %v", err)
			}
			wantVerdicts(t, s, CodeSignatureDoesNotMatch)
		})
	}
}
