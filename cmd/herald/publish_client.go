package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// defaultAPIEndpoint is where "herald serve" serves the publisher's API.
const defaultAPIEndpoint = "http://127.0.0.1:9324"

// apiClient calls the publisher's HTTP API (internal/pubapi).
type apiClient struct {
	base string
	http *http.Client
}

// endpointFlag declares --endpoint on fs.
func endpointFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	def := getenv("HERALD_ENDPOINT")
	if def == "" {
		def = defaultAPIEndpoint
	}
	return fs.String("endpoint", def, "Herald's base `URL` [HERALD_ENDPOINT]")
}

func newAPIClient(endpoint string) (*apiClient, error) {
	if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
		return nil, usageError{fmt.Sprintf("--endpoint %q: want an http:// or https:// URL", endpoint)}
	}
	return &apiClient{base: strings.TrimRight(endpoint, "/"), http: &http.Client{Timeout: 2 * time.Minute}}, nil
}

// apiError is a problem document the API answered with.
type apiError struct {
	Type   string   `json:"type"`
	Title  string   `json:"title"`
	Status int      `json:"status"`
	Detail string   `json:"detail"`
	Errors []string `json:"errors"`
}

func (e *apiError) Error() string {
	msg := e.Title
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	msg = fmt.Sprintf("%s (HTTP %d)", msg, e.Status)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// do sends a request with an optional JSON body (any value, or
// json.RawMessage / []byte as is) and decodes a JSON answer into out (nil:
// discard). An error status becomes an *apiError.
func (c *apiClient) do(ctx context.Context, method, path string, header http.Header, in, out any) error {
	var body io.Reader
	if in != nil {
		var b []byte
		switch v := in.(type) {
		case []byte:
			b = v
		case json.RawMessage:
			b = v
		default:
			var err error
			if b, err = json.Marshal(in); err != nil {
				return err
			}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		p := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(data, p) != nil || p.Title == "" {
			p = &apiError{Status: resp.StatusCode, Detail: strings.TrimSpace(snippet(data))}
		}
		p.Status = resp.StatusCode
		return p
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the expected JSON: %w", method, path, err)
	}
	return nil
}

func snippet(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// printJSON writes v indented.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// parseArgs parses flags that may come before or after the positional
// arguments ("get ID --endpoint URL") and returns the positional ones. A
// lone "-" and everything after "--" are positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest); i > 0 && args[i-1] == "--" {
			// Parse consumed "--": the rest is positional.
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// readValue returns a flag's JSON value: the text itself, or the contents
// of the file after "@".
func readValue(name, v string) ([]byte, error) {
	if file, ok := strings.CutPrefix(v, "@"); ok {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, usageError{fmt.Sprintf("--%s: %v", name, err)}
		}
		v = string(b)
	}
	if !json.Valid([]byte(v)) {
		return nil, usageError{fmt.Sprintf("--%s: not valid JSON", name)}
	}
	return []byte(v), nil
}
