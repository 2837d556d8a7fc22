package snshttp_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/herald-dev/herald/consumer/snshttp"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     snshttp.Config
		wantErr string // "" means valid
	}{
		{"zero value", snshttp.Config{}, ""},
		{"full", snshttp.Config{
			Listen: "127.0.0.1:0", Path: "/sns", CertHostPattern: `^127\.0\.0\.1$`,
			TopicArns: []string{testTopic}, TLSCert: "c.pem", TLSKey: "k.pem", MaxBodyBytes: 1 << 20,
		}, ""},
		{"listen without port", snshttp.Config{Listen: "127.0.0.1"}, "listen"},
		{"relative path", snshttp.Config{Path: "sns"}, "path"},
		{"bad pattern", snshttp.Config{CertHostPattern: `^(sns$`}, "cert_host_pattern"},
		{"queue ARN", snshttp.Config{TopicArns: []string{"arn:aws:sqs:us-east-1:123456789012:q:x"}}, "topic_arns"},
		{"topic name", snshttp.Config{TopicArns: []string{"orders"}}, "topic_arns"},
		{"empty topic", snshttp.Config{TopicArns: []string{""}}, "topic_arns"},
		{"cert without key", snshttp.Config{TLSCert: "c.pem"}, "tls_key"},
		{"key without cert", snshttp.Config{TLSKey: "k.pem"}, "tls_cert"},
		{"negative body limit", snshttp.Config{MaxBodyBytes: -1}, "max_body_bytes"},
		{"negative timeout", snshttp.Config{ConfirmTimeout: -1}, "confirm_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error about %s", err, tt.wantErr)
			}
			if tt.wantErr == "" {
				return
			}
			if _, err := snshttp.NewHandler(tt.cfg, newRecorder(), nil); err == nil {
				t.Error("NewHandler accepted an invalid config")
			}
		})
	}
}

func TestConfigJSON(t *testing.T) {
	t.Parallel()
	var c snshttp.Config
	err := json.Unmarshal([]byte(`{
		"listen": "127.0.0.1:8080",
		"path": "/sns",
		"auto_confirm": false,
		"cert_host_pattern": "^127\\.0\\.0\\.1$",
		"match_host_port": true,
		"allow_http_certs": true,
		"topic_arns": ["arn:aws:sns:us-east-1:123456789012:orders"],
		"allow_raw": true,
		"tls_cert": "c.pem",
		"tls_key": "k.pem",
		"max_body_bytes": 1024,
		"read_header_timeout": "2s",
		"read_timeout": 3,
		"idle_timeout": "1m",
		"confirm_timeout": "500ms",
		"cert_fetch_timeout": "4s"
	}`), &c)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.Path != "/sns" || c.AutoConfirm == nil || *c.AutoConfirm ||
		c.CertHostPattern != `^127\.0\.0\.1$` || !c.MatchHostPort || !c.AllowHTTPCerts ||
		len(c.TopicArns) != 1 || !c.AllowRaw || c.TLSCert != "c.pem" || c.TLSKey != "k.pem" || c.MaxBodyBytes != 1024 {
		t.Errorf("decoded %+v", c)
	}
	for name, d := range map[string]struct{ got, want time.Duration }{
		"read_header_timeout": {c.ReadHeaderTimeout.Std(), 2 * time.Second},
		"read_timeout":        {c.ReadTimeout.Std(), 3 * time.Second},
		"idle_timeout":        {c.IdleTimeout.Std(), time.Minute},
		"confirm_timeout":     {c.ConfirmTimeout.Std(), 500 * time.Millisecond},
		"cert_fetch_timeout":  {c.CertFetchTimeout.Std(), 4 * time.Second},
	} {
		if d.got != d.want {
			t.Errorf("%s = %v, want %v", name, d.got, d.want)
		}
	}
}
