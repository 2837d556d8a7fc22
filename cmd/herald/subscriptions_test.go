package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// subs runs "herald subscriptions args" with stdin and returns stdout.
func (e *apiEnv) subs(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := subscriptions(context.Background(), args, e.getenv, strings.NewReader(stdin), &out, &errb)
	return out.String(), err
}

type cliSub struct {
	ID          string   `json:"id"`
	Tenant      string   `json:"tenant"`
	EventTypes  []string `json:"event_types"`
	Statuses    []string `json:"statuses"`
	Active      bool     `json:"active"`
	Format      string   `json:"format"`
	Destination struct {
		Type    string   `json:"type"`
		URL     string   `json:"url"`
		Topic   string   `json:"topic"`
		Brokers []string `json:"brokers"`
		Secrets []string `json:"secrets"`
	} `json:"destination"`
}

func decodeOut(t *testing.T, out string, err error, v any) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "\n  ") {
		t.Errorf("output is not indented: %s", out)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
}

func TestSubscriptionsCLI(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	qurl := e.broker.CreateQueue(t, "cli", nil)

	var s cliSub
	out, err := e.subs(t, "", "create", "--tenant", "acme", "--event-type", "photo.*", "--event-type", "video.ready",
		"--status", "DOWNLOADED", "--sqs", qurl)
	decodeOut(t, out, err, &s)
	if s.ID == "" || !s.Active || len(s.EventTypes) != 2 || s.Statuses[0] != "DOWNLOADED" || s.Destination.URL != qurl {
		t.Fatalf("created %s", out)
	}
	var h cliSub
	out, err = e.subs(t, "", "create", "--tenant", "globex", "--https", "https://hooks.example/x", "--inactive", "--format", "cloudevents")
	decodeOut(t, out, err, &h)
	if h.Active || h.Destination.Type != "https" || len(h.Destination.Secrets) != 1 || h.Format != "cloudevents" {
		t.Fatalf("created %s", out)
	}
	var k cliSub
	out, err = e.subs(t, "", "create", "--tenant", "globex", "--kafka-topic", "events", "--kafka-broker", "k1:9092", "--kafka-broker", "k2:9092")
	decodeOut(t, out, err, &k)
	if k.Destination.Topic != "events" || len(k.Destination.Brokers) != 2 {
		t.Fatalf("created %s", out)
	}
	file := filepath.Join(t.TempDir(), "sub.json")
	os.WriteFile(file, []byte(`{"tenant":"initech","destination":{"type":"sns","topic_arn":"arn:aws:sns:us-east-1:000000000000:t"}}`), 0o644)
	var f cliSub
	out, err = e.subs(t, "", "create", "--file", file)
	decodeOut(t, out, err, &f)
	if f.Tenant != "initech" || !f.Active {
		t.Fatalf("created from file %s", out)
	}
	out, err = e.subs(t, `{"tenant":"initech","destination":{"type":"sns","topic_arn":"arn:aws:sns:us-east-1:000000000000:u"}}`, "create", "-")
	decodeOut(t, out, err, &f)

	// list, get.
	var list []cliSub
	out, err = e.subs(t, "", "list")
	decodeOut(t, out, err, &list)
	if len(list) != 5 {
		t.Errorf("list: %d subscriptions", len(list))
	}
	out, err = e.subs(t, "", "list", "--tenant", "globex")
	decodeOut(t, out, err, &list)
	if len(list) != 2 {
		t.Errorf("list globex: %d subscriptions", len(list))
	}
	var got cliSub
	out, err = e.subs(t, "", "get", s.ID)
	decodeOut(t, out, err, &got)
	if got.ID != s.ID {
		t.Errorf("get: %s", out)
	}

	// update replaces.
	out, err = e.subs(t, `{"tenant":"acme","destination":{"type":"sqs","url":"`+qurl+`"}}`, "update", s.ID, "--file", "-")
	decodeOut(t, out, err, &got)
	if got.ID != s.ID || len(got.EventTypes) != 0 || !got.Active {
		t.Errorf("update: %s", out)
	}

	// test: delivered to the queue.
	var res struct {
		Delivered bool
		Body      string
	}
	out, err = e.subs(t, "", "test", s.ID)
	decodeOut(t, out, err, &res)
	if !res.Delivered || res.Body == "" {
		t.Errorf("test: %s", out)
	}
	out, err = e.subs(t, "", "test", s.ID, "--event", `{"entity_type":"photo","entity_id":"1","type":"photo.x"}`)
	decodeOut(t, out, err, &res)

	// replay by event and by range, then the deliveries.
	var ev cliEvent
	pout, err := e.publish(t, "", "--tenant", "acme", "--entity-type", "photo", "--entity-id", "1", "--type", "photo.x", "--occurred-at", "2026-01-01T12:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal([]byte(pout), &ev)
	var rep struct {
		Deliveries []string
		Replayed   int
	}
	out, err = e.subs(t, "", "replay", s.ID, "--event", ev.ID, "--event", ev.ID)
	decodeOut(t, out, err, &rep)
	if len(rep.Deliveries) != 2 {
		t.Errorf("replay --event: %s", out)
	}
	out, err = e.subs(t, "", "replay", "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-02T00:00:00Z", s.ID)
	if err != nil || !strings.Contains(out, `"replayed": 1`) {
		t.Errorf("replay range: %s %v", out, err)
	}
	var dl struct {
		Deliveries []struct{ State string }
		Next       string
	}
	out, err = e.subs(t, "", "deliveries", s.ID, "--state", "pending", "--limit", "2")
	decodeOut(t, out, err, &dl)
	if len(dl.Deliveries) != 2 || dl.Next == "" || dl.Deliveries[0].State != "pending" {
		t.Errorf("deliveries: %s", out)
	}
	out, err = e.subs(t, "", "deliveries", s.ID, "--after", dl.Next)
	decodeOut(t, out, err, &dl)
	if len(dl.Deliveries) != 2 || dl.Next != "" {
		t.Errorf("deliveries page 2: %s", out)
	}

	// delete, then the API's 404 as an error.
	out, err = e.subs(t, "", "delete", h.ID)
	if err != nil || !strings.Contains(out, `"deleted": true`) {
		t.Errorf("delete: %s %v", out, err)
	}
	_, err = e.subs(t, "", "get", h.ID)
	if err == nil || err.Error() != "Not found (HTTP 404): subscription "+h.ID+" not found" || exitCode(err) != 1 {
		t.Errorf("get deleted: %v", err)
	}
	_, err = e.subs(t, "", "create", "--tenant", "acme", "--sqs", "ftp://x")
	if err == nil || !strings.Contains(err.Error(), "The request is invalid (HTTP 400): subscription: destination: url") || exitCode(err) != 1 {
		t.Errorf("invalid create: %v", err)
	}
}

func TestSubscriptionsTestRefused(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	var s cliSub
	out, err := e.subs(t, "", "create", "--tenant", "acme", "--sqs", e.broker.URL+"/000000000000/missing")
	decodeOut(t, out, err, &s)
	out, err = e.subs(t, "", "test", s.ID)
	if err == nil || !strings.Contains(err.Error(), "not delivered") || exitCode(err) != 1 || !strings.Contains(out, `"delivered": false`) {
		t.Errorf("test refused: %s %v", out, err)
	}
}

func TestSubscriptionsUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "needs a command"},
		{[]string{"frob"}, `unknown subscriptions command "frob"`},
		{[]string{"get"}, "needs a subscription ID"},
		{[]string{"get", "a", "b"}, "needs a subscription ID"},
		{[]string{"list", "x"}, "takes no arguments"},
		{[]string{"update", "x"}, "needs --file"},
		{[]string{"update", "x", "--file", "/nonexistent"}, "no such file"},
		{[]string{"create"}, "needs --tenant"},
		{[]string{"create", "--tenant", "a"}, "needs a destination"},
		{[]string{"create", "--tenant", "a", "--sqs", "u", "--sns", "a"}, "one destination"},
		{[]string{"create", "--tenant", "a", "--kafka-topic", "t"}, "--kafka-broker"},
		{[]string{"create", "--tenant", "a", "--sqs", "u", "--secret", "whsec_x"}, "--https only"},
		{[]string{"create", "--file", "f.json", "--tenant", "a"}, "--tenant does not go with --file"},
		{[]string{"replay", "x"}, "needs --event"},
		{[]string{"replay", "x", "--from", "2026-01-01T00:00:00Z"}, "needs --event"},
		{[]string{"replay", "x", "--event", "e", "--from", "2026-01-01T00:00:00Z"}, "not both"},
		{[]string{"replay", "x", "--from", "yesterday", "--to", "2026-01-01T00:00:00Z"}, "RFC 3339"},
		{[]string{"test", "x", "--event", "{"}, "not valid JSON"},
		{[]string{"deliveries", "--limit", "x", "id"}, "invalid value"},
	} {
		var out, errb bytes.Buffer
		err := runSubscriptions(context.Background(), tc.args, noEnv, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != 2 {
			t.Errorf("subscriptions %q = %v (exit %d), want %q (exit 2)", tc.args, err, exitCode(err), tc.want)
		}
	}
}

func TestSubscriptionsHelp(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if err := runSubscriptions(context.Background(), []string{"--help"}, noEnv, &out, &errb); err != nil || !strings.Contains(out.String(), "deliveries ID") {
		t.Errorf("--help: %v %s", err, out.String())
	}
	for cmd, flags := range map[string][]string{
		"list":       {"-endpoint", "-tenant"},
		"get":        {"-endpoint"},
		"delete":     {"-endpoint"},
		"create":     {"-endpoint", "-tenant", "-event-type", "-status", "-sqs", "-sns", "-https", "-secret", "-kafka-topic", "-kafka-broker", "-format", "-format-version", "-inactive", "-file"},
		"update":     {"-endpoint", "-file"},
		"test":       {"-endpoint", "-event"},
		"replay":     {"-endpoint", "-event", "-from", "-to"},
		"deliveries": {"-endpoint", "-state", "-limit", "-after"},
	} {
		var out, errb bytes.Buffer
		err := runSubscriptions(context.Background(), []string{cmd, "--help"}, noEnv, &out, &errb)
		if !errors.Is(err, flag.ErrHelp) || exitCode(err) != 0 {
			t.Errorf("%s --help: %v", cmd, err)
		}
		for _, f := range flags {
			if !strings.Contains(errb.String(), f) {
				t.Errorf("subscriptions %s --help lacks %s", cmd, f)
			}
		}
	}
}
