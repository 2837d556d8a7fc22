package sinks

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-dev/herald/consumer"
)

// photoServer serves the download tests:
//
//	/photos/<name>          "photo <name>" with a Content-Length
//	/stream?n=N             N bytes streamed without a Content-Length
//	/big                    a Content-Length of 1 GiB and no body
//	/status/<code>          that status
//	/redirect?to=URL        302 to URL
//	/version                "version <request count>"
//	/stall                  a few bytes, then nothing until the client leaves
type photoServer struct {
	*httptest.Server
	requests atomic.Int64
}

func newPhotoServer(t *testing.T) *photoServer {
	t.Helper()
	s := &photoServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/photos/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "photo "+strings.TrimPrefix(r.URL.EscapedPath(), "/photos/"))
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		chunk := strings.Repeat("z", 1000)
		for n > 0 {
			k := min(n, len(chunk))
			if _, err := io.WriteString(w, chunk[:k]); err != nil {
				return
			}
			w.(http.Flusher).Flush() // no Content-Length: chunked
			n -= k
		}
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(1<<30))
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "status body")
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "version %d", s.requests.Load())
	})
	release := make(chan struct{})
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(release) }) // before s.Close
	return s
}

func newDownload(t *testing.T, cfg DownloadConfig) *Download {
	t.Helper()
	if cfg.URLPath == "" {
		cfg.URLPath = "links.bytes"
	}
	d, err := NewDownload(cfg, nil)
	if err != nil {
		t.Fatalf("NewDownload: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// photoEvent is a photo status message whose links.bytes is url.
func photoEvent(t *testing.T, url string) *consumer.Event {
	t.Helper()
	return event(t, fmt.Sprintf(`{"id":1419977,"status":"DOWNLOADED","links":{"bytes":%q}}`, url), "1419977:DOWNLOADED")
}

func TestDownloadSavesFile(t *testing.T) {
	t.Parallel()
	srv := newPhotoServer(t)
	tests := []struct {
		name     string
		cfg      DownloadConfig
		path     string // on the server
		wantFile string
		want     string
	}{
		{"name from the url", DownloadConfig{}, "/photos/100404.23.331.jpg", "100404.23.331.jpg", "photo 100404.23.331.jpg"},
		{"query ignored", DownloadConfig{}, "/photos/a.jpg?X-Amz-Signature=abc", "a.jpg", "photo a.jpg"},
		{"escaped slash kept in one name", DownloadConfig{}, "/photos/a%2Fb.jpg", "a_b.jpg", "photo a%2Fb.jpg"},
		{"name template", DownloadConfig{Name: `{{field "id" .Event}}.jpg`}, "/photos/x.jpg", "1419977.jpg", "photo x.jpg"},
		{"json pointer", DownloadConfig{URLPath: "/links/bytes"}, "/photos/p.jpg", "p.jpg", "photo p.jpg"},
		{"no name in the url", DownloadConfig{}, "/stream?n=5", "stream", "zzzzz"},
		{"streamed at the limit", DownloadConfig{MaxBytes: 5000}, "/stream?n=5000", "stream", strings.Repeat("z", 5000)},
		{"redirect on an allowed host", DownloadConfig{AllowedHosts: []string{"127.0.0.1"}}, "/redirect?to=/photos/r.jpg", "redirect", "photo r.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			cfg.Dir = t.TempDir()
			d := newDownload(t, cfg)
			if err := d.Deliver(context.Background(), photoEvent(t, srv.URL+tt.path)); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if got := dirNames(t, cfg.Dir); !slices.Equal(got, []string{tt.wantFile}) {
				t.Fatalf("dir holds %q, want [%q]", got, tt.wantFile)
			}
			if got := readFile(t, filepath.Join(cfg.Dir, tt.wantFile)); got != tt.want {
				t.Errorf("file holds %q, want %q", truncateUTF8(got, 50), truncateUTF8(tt.want, 50))
			}
		})
	}
}

func TestDownloadDefaultName(t *testing.T) {
	t.Parallel()
	d := newDownload(t, DownloadConfig{Dir: t.TempDir()})
	ev := event(t, `{}`, "1419977:DOWNLOADED")
	tests := []struct{ url, want string }{
		{"https://s3.amazonaws.com/bucket/100404.jpg", "100404.jpg"},
		{"https://s3.amazonaws.com/bucket/100404.jpg?X-Amz-Expires=60", "100404.jpg"},
		{"https://h/a%2Fb.jpg", "a_b.jpg"},
		{"https://h/caf%C3%A9.jpg", "café.jpg"},
		{"https://h/", fallbackName(ev)},
		{"https://h", fallbackName(ev)},
		{"https://h/a/..", fallbackName(ev)},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := d.fileName(ev, u); err != nil || got != tt.want {
			t.Errorf("name for %s = %q, %v; want %q", tt.url, got, err, tt.want)
		}
	}
}

func TestDownloadSizeLimit(t *testing.T) {
	t.Parallel()
	srv := newPhotoServer(t)
	tests := []struct {
		name, path string
		max        int64
		wantText   string
	}{
		{"content-length over the limit", "/big", 1 << 20, "Content-Length 1073741824 exceeds max_bytes 1048576"},
		{"streamed past the limit", "/stream?n=5001", 5000, "body exceeds max_bytes 5000"},
		{"streamed far past the limit", "/stream?n=300000", 1000, "body exceeds max_bytes 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			d := newDownload(t, DownloadConfig{Dir: dir, MaxBytes: tt.max})
			err := d.Deliver(context.Background(), photoEvent(t, srv.URL+tt.path))
			wantClass(t, err, true)
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if got := dirNames(t, dir); len(got) != 0 {
				t.Errorf("dir holds %q after an oversized download", got)
			}
		})
	}
}

func TestDownloadRefusesBeforeFetching(t *testing.T) {
	t.Parallel()
	srv := newPhotoServer(t)
	other := newPhotoServer(t)
	otherHost := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	tests := []struct {
		name     string
		body     string
		allowed  []string
		wantText string
		wantReqs int64 // requests srv saw
	}{
		{"ftp scheme", `{"links":{"bytes":"ftp://127.0.0.1/a.jpg"}}`, nil, "scheme", 0},
		{"file scheme", `{"links":{"bytes":"file:///etc/passwd"}}`, nil, "scheme", 0},
		{"no host", `{"links":{"bytes":"http:///a.jpg"}}`, nil, "no host", 0},
		{"host not allowed", fmt.Sprintf(`{"links":{"bytes":%q}}`, srv.URL+"/photos/a.jpg"), []string{"*.amazonaws.com"}, "not in allowed_hosts", 0},
		{"missing field", `{"links":{}}`, nil, "no links.bytes", 0},
		{"number", `{"links":{"bytes":42}}`, nil, "not a URL string: 42", 0},
		{"empty string", `{"links":{"bytes":""}}`, nil, "not a URL string", 0},
		{"not json", `links.bytes=http://x/`, nil, "not JSON", 0},
		{"redirect to a host not allowed", fmt.Sprintf(`{"links":{"bytes":%q}}`, srv.URL+"/redirect?to="+otherHost+"/photos/a.jpg"), []string{"127.0.0.1"}, "redirect", 1},
		{"redirect to another scheme", fmt.Sprintf(`{"links":{"bytes":%q}}`, srv.URL+"/redirect?to=ftp://127.0.0.1/a"), nil, "scheme", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			d := newDownload(t, DownloadConfig{Dir: dir, AllowedHosts: tt.allowed})
			before := srv.requests.Load()
			err := d.Deliver(context.Background(), event(t, tt.body, "k"))
			wantClass(t, err, true)
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if got := srv.requests.Load() - before; got != tt.wantReqs {
				t.Errorf("server saw %d requests, want %d", got, tt.wantReqs)
			}
			if got := dirNames(t, dir); len(got) != 0 {
				t.Errorf("dir holds %q", got)
			}
		})
	}
	if got := other.requests.Load(); got != 0 {
		t.Errorf("the host that is not allowed saw %d requests", got)
	}
}

func TestDownloadStatusClassification(t *testing.T) {
	t.Parallel()
	srv := newPhotoServer(t)
	tests := []struct {
		code      int
		permanent bool
	}{
		{400, true}, {403, true}, {404, true}, {410, true},
		{408, false}, {429, false}, {500, false}, {502, false}, {503, false},
		{304, true},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.code), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			d := newDownload(t, DownloadConfig{Dir: dir})
			err := d.Deliver(context.Background(), photoEvent(t, srv.URL+"/status/"+strconv.Itoa(tt.code)))
			wantClass(t, err, tt.permanent)
			if !strings.Contains(err.Error(), strconv.Itoa(tt.code)) {
				t.Errorf("error %q does not name the status", err)
			}
			if got := dirNames(t, dir); len(got) != 0 {
				t.Errorf("dir holds %q", got)
			}
		})
	}
}

func TestDownloadOverwritesIdempotently(t *testing.T) {
	t.Parallel()
	srv := newPhotoServer(t)
	dir := t.TempDir()
	d := newDownload(t, DownloadConfig{Dir: dir, Mode: "0600"})
	ev := photoEvent(t, srv.URL+"/version")
	for range 2 {
		if err := d.Deliver(context.Background(), ev); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{"version"}) {
		t.Fatalf("dir holds %q, want one file", got)
	}
	if got := readFile(t, filepath.Join(dir, "version")); got != "version 2" {
		t.Errorf("file holds %q, want the second download", got)
	}
}

func TestDownloadTimeoutIsRetriable(t *testing.T) {
	t.Parallel()
	srv := newPhotoServer(t)
	dir := t.TempDir()
	d := newDownload(t, DownloadConfig{Dir: dir, Timeout: consumer.Duration(200 * time.Millisecond)})
	err := d.Deliver(context.Background(), photoEvent(t, srv.URL+"/stall"))
	wantClass(t, err, false)
	if !strings.Contains(err.Error(), "not done within 200ms") {
		t.Errorf("error %q does not name the timeout", err)
	}
	if got := dirNames(t, dir); len(got) != 0 {
		t.Errorf("dir holds %q after a timed-out download", got)
	}
}

func TestDownloadNetworkErrorIsRetriable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	gone := srv.URL
	srv.Close()
	d := newDownload(t, DownloadConfig{Dir: t.TempDir()})
	wantClass(t, d.Deliver(context.Background(), photoEvent(t, gone+"/a.jpg")), false)
}

func TestHostAllowed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host     string
		patterns []string
		want     bool
	}{
		{"anything.example", nil, true},
		{"s3.amazonaws.com", []string{"s3.amazonaws.com"}, true},
		{"S3.AmazonAWS.com", []string{"s3.amazonaws.com"}, true},
		{"s3.amazonaws.com.", []string{"s3.amazonaws.com"}, true},
		{"evil-s3.amazonaws.com", []string{"s3.amazonaws.com"}, false},
		{"bucket.s3.amazonaws.com", []string{"*.amazonaws.com"}, true},
		{"a.b.amazonaws.com", []string{"*.amazonaws.com"}, true},
		{"amazonaws.com", []string{"*.amazonaws.com"}, false},
		{"evilamazonaws.com", []string{"*.amazonaws.com"}, false},
		{"amazonaws.com.evil.net", []string{"*.amazonaws.com"}, false},
		{"127.0.0.1", []string{"cdn.example", "127.0.0.1"}, true},
		{"::1", []string{"::1"}, true},
	}
	for _, tt := range tests {
		if got := hostAllowed(tt.host, tt.patterns); got != tt.want {
			t.Errorf("hostAllowed(%q, %q) = %v, want %v", tt.host, tt.patterns, got, tt.want)
		}
	}
}

func TestDownloadConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name    string
		cfg     DownloadConfig
		wantErr string
	}{
		{"ok", DownloadConfig{URLPath: "links.bytes", Dir: dir, AllowedHosts: []string{"*.amazonaws.com", "cdn.example"}}, ""},
		{"no path", DownloadConfig{Dir: dir}, "url_path is required"},
		{"bad path", DownloadConfig{URLPath: "links[x]", Dir: dir}, "url_path"},
		{"no dir", DownloadConfig{URLPath: "links.bytes"}, "dir is required"},
		{"bad name", DownloadConfig{URLPath: "a", Dir: dir, Name: "{{"}, "template"},
		{"negative max", DownloadConfig{URLPath: "a", Dir: dir, MaxBytes: -1}, "max_bytes"},
		{"negative timeout", DownloadConfig{URLPath: "a", Dir: dir, Timeout: -1}, "timeout"},
		{"bare star", DownloadConfig{URLPath: "a", Dir: dir, AllowedHosts: []string{"*"}}, "allowed_hosts"},
		{"star inside", DownloadConfig{URLPath: "a", Dir: dir, AllowedHosts: []string{"a.*.com"}}, "allowed_hosts"},
		{"empty host", DownloadConfig{URLPath: "a", Dir: dir, AllowedHosts: []string{""}}, "allowed_hosts"},
		{"bad mode", DownloadConfig{URLPath: "a", Dir: dir, Mode: "999"}, "mode"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if tt.wantErr == "" && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantErr)
		}
	}
}
