package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/herald-dev/herald/internal/brokertest"
	"github.com/herald-dev/herald/internal/pubapi"
	"github.com/herald-dev/herald/publisher/deliver"
	"github.com/herald-dev/herald/publisher/relay"
	"github.com/herald-dev/herald/publisher/store/sqlite"
)

// apiEnv is the publisher's API on a real relay (SQLite store, sending to
// an in-process broker), and the environment that points the CLI at it.
type apiEnv struct {
	url    string
	broker *brokertest.Broker
	getenv func(string) string
}

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "publisher.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := brokertest.Start(t)
	d, err := deliver.New(deliver.Config{
		AWS:      aws.Config{Region: brokertest.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")},
		Endpoint: b.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	r, err := relay.New(ctx, relay.Config{Store: st, Sender: d, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pubapi.New(pubapi.Config{Relay: r, Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	return &apiEnv{url: srv.URL, broker: b, getenv: func(k string) string {
		if k == "HERALD_ENDPOINT" {
			return srv.URL
		}
		return ""
	}}
}

// publish runs "herald publish args" with stdin and returns stdout.
func (e *apiEnv) publish(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := publish(context.Background(), args, e.getenv, strings.NewReader(stdin), &out, &errb)
	return out.String(), err
}

type cliEvent struct {
	ID         string          `json:"id"`
	Tenant     string          `json:"tenant"`
	EntityID   string          `json:"entity_id"`
	Status     string          `json:"status"`
	Sequence   int             `json:"sequence"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
	Duplicate  bool            `json:"duplicate"`
}

func jsonLines(t *testing.T, out string) []cliEvent {
	t.Helper()
	var evs []cliEvent
	for line := range strings.Lines(out) {
		var ev cliEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func TestPublishFlags(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	dataFile := filepath.Join(t.TempDir(), "data.json")
	if err := os.WriteFile(dataFile, []byte(`{"url": "https://img/1.jpg"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--tenant", "acme", "--entity-type", "photo", "--entity-id", "1419977",
		"--type", "photo.status_changed", "--status", "DOWNLOADED", "--data", "@" + dataFile, "--idempotency-key", "k1"}
	before := time.Now().Add(-time.Second)
	out, err := runPublishCLI(t, e, args...)
	if err != nil {
		t.Fatal(err)
	}
	evs := jsonLines(t, out)
	if len(evs) != 1 || evs[0].ID == "" || evs[0].Sequence != 1 || evs[0].Duplicate || evs[0].Status != "DOWNLOADED" ||
		string(evs[0].Data) != `{"url":"https://img/1.jpg"}` || evs[0].OccurredAt.Before(before) {
		t.Fatalf("published %s", out)
	}
	// The same idempotency key: the same event, a duplicate.
	out, err = runPublishCLI(t, e, args...)
	if again := jsonLines(t, out); err != nil || again[0].ID != evs[0].ID || !again[0].Duplicate {
		t.Errorf("again: %s %v", out, err)
	}
	out, err = e.publish(t, "", "--tenant", "acme", "--entity-type", "photo", "--entity-id", "1", "--type", "t",
		"--occurred-at", "2026-01-02T03:04:05Z", "--data", `[1,2]`)
	if evs := jsonLines(t, out); err != nil || !evs[0].OccurredAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("--occurred-at: %s %v", out, err)
	}
}

// runPublishCLI runs the command as main would dispatch it.
func runPublishCLI(t *testing.T, e *apiEnv, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := runPublish(context.Background(), args, e.getenv, &out, &errb)
	return out.String(), err
}

func TestPublishStdin(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	ev := func(i int, extra string) string {
		return fmt.Sprintf(`{"tenant":"acme","entity_type":"photo","entity_id":"%d","type":"t","occurred_at":"2026-01-01T00:00:00Z"%s}`, i%3, extra)
	}
	// Newline-delimited, more than one batch.
	var nd strings.Builder
	for i := range 1203 {
		nd.WriteString(ev(i, "") + "\n")
	}
	out, err := e.publish(t, nd.String(), "-")
	if err != nil {
		t.Fatal(err)
	}
	evs := jsonLines(t, out)
	if len(evs) != 1203 || evs[1202].Sequence != 401 || evs[1202].EntityID != "2" {
		t.Fatalf("%d events, last %+v", len(evs), evs[len(evs)-1])
	}
	// An array, with idempotency keys; and a single object.
	out, err = e.publish(t, " [\n"+ev(0, `,"idempotency_key":"a"`)+",\n"+ev(0, `,"idempotency_key":"a"`)+"]\n", "-")
	if evs := jsonLines(t, out); err != nil || len(evs) != 2 || evs[0].ID != evs[1].ID || !evs[1].Duplicate {
		t.Errorf("array: %s %v", out, err)
	}
	out, err = e.publish(t, ev(7, ""), "-", "--endpoint", e.url)
	if evs := jsonLines(t, out); err != nil || len(evs) != 1 {
		t.Errorf("single: %s %v", out, err)
	}

	// Errors: the API's problem, or usage.
	_, err = e.publish(t, ev(0, "")+"\n"+`{"tenant":"acme"}`, "-")
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != 400 || !strings.Contains(err.Error(), "events[1]: event: entity_type is required") || exitCode(err) != 1 {
		t.Errorf("invalid event: %v", err)
	}
	for _, tc := range []struct{ stdin, want string }{
		{"", "no events"},
		{"[1]", "not a JSON object"},
		{`{"a":`, "unexpected EOF"},
		{`[{}] x`, "after the JSON array"},
	} {
		if _, err := e.publish(t, tc.stdin, "-"); err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != 2 {
			t.Errorf("stdin %q: %v, want %q (exit 2)", tc.stdin, err, tc.want)
		}
	}
}

func TestPublishUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tenant", "a"}, "needs --entity-type"},
		{[]string{"--tenant", "a", "--entity-type", "p", "--entity-id", "1", "--type", "t", "--occurred-at", "now"}, "--occurred-at"},
		{[]string{"--tenant", "a", "--entity-type", "p", "--entity-id", "1", "--type", "t", "--data", "{"}, "--data: not valid JSON"},
		{[]string{"--tenant", "a", "--entity-type", "p", "--entity-id", "1", "--type", "t", "--data", "@/nonexistent"}, "no such file"},
		{[]string{"-", "--tenant", "a"}, "do not apply"},
		{[]string{"x"}, "no arguments"},
		{[]string{"--nope"}, "not defined"},
		{[]string{"--endpoint", "127.0.0.1:9324", "-"}, "http://"},
	} {
		var out, errb bytes.Buffer
		err := runPublish(context.Background(), tc.args, noEnv, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != 2 {
			t.Errorf("publish %q = %v (exit %d), want %q (exit 2)", tc.args, err, exitCode(err), tc.want)
		}
	}
	var out, errb bytes.Buffer
	err := runPublish(context.Background(), []string{"--help"}, noEnv, &out, &errb)
	if !errors.Is(err, flag.ErrHelp) || exitCode(err) != 0 {
		t.Fatalf("--help: %v", err)
	}
	for _, f := range []string{"-endpoint", "-tenant", "-entity-type", "-entity-id", "-type", "-status", "-occurred-at", "-data", "-idempotency-key", "HERALD_ENDPOINT"} {
		if !strings.Contains(errb.String(), f) {
			t.Errorf("publish --help lacks %s", f)
		}
	}
}

func TestPublishAPIDown(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	err := runPublish(context.Background(), []string{"--endpoint", "http://127.0.0.1:1", "--tenant", "a", "--entity-type", "p", "--entity-id", "1", "--type", "t"}, noEnv, &out, &errb)
	if err == nil || exitCode(err) != 1 {
		t.Errorf("API down: %v", err)
	}
}
