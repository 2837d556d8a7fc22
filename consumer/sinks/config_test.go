package sinks

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// decodeStrict decodes configuration JSON the way the listener does.
func decodeStrict(data string, into any) error {
	dec := json.NewDecoder(strings.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

func TestConfigsDecodeFromSnakeCaseJSON(t *testing.T) {
	t.Parallel()
	var h HTTPConfig
	var e ExecConfig
	var d DirConfig
	var dl DownloadConfig
	var s StdoutConfig
	var q QuarantineDirConfig
	tests := []struct {
		name  string
		json  string
		into  any
		check func() bool
	}{
		{"http", `{"url":"https://h/{{.Vars.env}}","method":"PUT","headers":{"X-A":"b"},"vars":{"env":"qa"},
			"timeout":"5s","retries":-1,"retry_backoff":"100ms","max_backoff":2}`, &h,
			func() bool {
				return h.Method == "PUT" && h.Timeout.Std() == 5*time.Second && h.Retries == -1 &&
					h.RetryBackoff.Std() == 100*time.Millisecond && h.MaxBackoff.Std() == 2*time.Second && h.Validate() == nil
			}},
		{"exec", `{"command":["/bin/sh","-c","cat"],"env":{"A":"b"},"dir":"/tmp","timeout":"1m","permanent_exit_codes":[3,4]}`, &e,
			func() bool {
				return len(e.Command) == 3 && e.Timeout.Std() == time.Minute && e.PermanentExitCodes[1] == 4 && e.Validate() == nil
			}},
		{"dir", `{"dir":"/var/herald","name":"{{.Key}}.json","mode":"0640","vars":{"env":"qa"}}`, &d,
			func() bool { return d.Mode == "0640" && d.Validate() == nil }},
		{"download", `{"url_path":"links.bytes","dir":"/var/photos","name":"x.jpg","max_bytes":1048576,"timeout":"30s",
			"allowed_hosts":["*.amazonaws.com"],"mode":"0600","vars":{}}`, &dl,
			func() bool {
				return dl.MaxBytes == 1<<20 && dl.AllowedHosts[0] == "*.amazonaws.com" && dl.Validate() == nil
			}},
		{"stdout", `{"body_only":true}`, &s, func() bool { return s.BodyOnly }},
		{"quarantine", `{"dir":"/var/quarantine"}`, &q, func() bool { return q.Dir == "/var/quarantine" && q.Validate() == nil }},
	}
	for _, tt := range tests {
		if err := decodeStrict(tt.json, tt.into); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !tt.check() {
			t.Errorf("%s: decoded %+v", tt.name, tt.into)
		}
	}
	if err := decodeStrict(`{"url":"https://h","retryBackoff":"1s"}`, new(HTTPConfig)); err == nil {
		t.Error("a camelCase field name was accepted")
	}
}

func TestConfigFieldsAreTaggedSnakeCase(t *testing.T) {
	t.Parallel()
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	for _, cfg := range []any{HTTPConfig{}, ExecConfig{}, DirConfig{}, DownloadConfig{}, StdoutConfig{}, QuarantineDirConfig{}} {
		typ := reflect.TypeOf(cfg)
		for i := range typ.NumField() {
			f := typ.Field(i)
			if tag := f.Tag.Get("json"); !snake.MatchString(tag) {
				t.Errorf("%s.%s has json tag %q, want snake_case", typ.Name(), f.Name, tag)
			}
		}
	}
}
