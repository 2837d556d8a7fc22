package sinks

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/herald-dev/herald/consumer"
)

func newDir(t testing.TB, cfg DirConfig) *Dir {
	t.Helper()
	d, err := NewDir(cfg, nil)
	if err != nil {
		t.Fatalf("NewDir: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func TestDirWritesOneFilePerEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      DirConfig
		body     string
		key      string
		wantFile string
	}{
		{"default name", DirConfig{}, `{"id":1}`, "1419977:DOWNLOADED", "1419977:DOWNLOADED.json"},
		{"template", DirConfig{Name: `{{.Vars.env}}-{{field "id" .Event}}.txt`, Vars: map[string]string{"env": "qa"}}, `{"id":1419977}`, "k", "qa-1419977.txt"},
		{"traversal stays inside", DirConfig{}, `{}`, "../../etc/passwd", "_.._etc_passwd.json"},
		{"empty after sanitizing uses a hash", DirConfig{Name: "{{.Key}}"}, `{}`, "..", fallbackName(event(t, `{}`, ".."))},
		{"non-JSON body", DirConfig{Name: "raw.bin"}, "\x00\x01binary", "k", "raw.bin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "out", "nested") // created by NewDir
			cfg := tt.cfg
			cfg.Dir = dir
			d := newDir(t, cfg)
			if err := d.Deliver(context.Background(), event(t, tt.body, tt.key)); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if got := dirNames(t, dir); !slices.Equal(got, []string{tt.wantFile}) {
				t.Fatalf("dir holds %q, want [%q]", got, tt.wantFile)
			}
			if got := readFile(t, filepath.Join(dir, tt.wantFile)); got != tt.body {
				t.Errorf("file holds %q, want %q", got, tt.body)
			}
			if got := dirNames(t, filepath.Dir(filepath.Dir(dir))); !slices.Equal(got, []string{"out"}) {
				t.Errorf("something was written outside the directory: %q", got)
			}
		})
	}
}

func TestDirSameKeyTwiceLeavesOneFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := newDir(t, DirConfig{Dir: dir, Mode: "0640"})
	for _, body := range []string{`{"v":1}`, `{"v":2}`} {
		if err := d.Deliver(context.Background(), event(t, body, "same-key")); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{"same-key.json"}) {
		t.Fatalf("dir holds %q, want one file", got)
	}
	if got := readFile(t, filepath.Join(dir, "same-key.json")); got != `{"v":2}` {
		t.Errorf("file holds %q, want the second delivery", got)
	}
	st, err := os.Stat(filepath.Join(dir, "same-key.json"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode().Perm())
	}
}

func TestDirConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := newDir(t, DirConfig{Dir: dir})
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			// Half the events share their key with another one.
			key := "k" + strconv.Itoa(i%20)
			if err := d.Deliver(context.Background(), event(t, `{"i":`+strconv.Itoa(i)+`}`, key)); err != nil {
				t.Errorf("Deliver: %v", err)
			}
		})
	}
	wg.Wait()
	if got := dirNames(t, dir); len(got) != 20 {
		t.Errorf("dir holds %d files, want 20: %q", len(got), got)
	}
	noTempFiles(t, dir)
}

func TestDirErrors(t *testing.T) {
	t.Parallel()
	t.Run("render error is permanent", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		d := newDir(t, DirConfig{Dir: dir, Name: "{{.Attributes.missing}}"})
		wantClass(t, d.Deliver(context.Background(), event(t, `{}`, "k")), true)
		if got := dirNames(t, dir); len(got) != 0 {
			t.Errorf("dir holds %q after a failed render", got)
		}
	})
	t.Run("unwritable directory is retriable", func(t *testing.T) {
		t.Parallel()
		if os.Geteuid() == 0 {
			t.Skip("root writes into read-only directories")
		}
		dir := t.TempDir()
		d := newDir(t, DirConfig{Dir: dir})
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
		wantClass(t, d.Deliver(context.Background(), event(t, `{}`, "k")), false)
	})
	t.Run("a file in the way of a directory is retriable", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		d := newDir(t, DirConfig{Dir: dir, Name: "x"})
		// A directory where the file should go: rename cannot replace it.
		if err := os.Mkdir(filepath.Join(dir, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		wantClass(t, d.Deliver(context.Background(), event(t, `{}`, "k")), false)
		noTempFiles(t, dir)
	})
	t.Run("canceled context", func(t *testing.T) {
		t.Parallel()
		d := newDir(t, DirConfig{Dir: t.TempDir()})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		wantClass(t, d.Deliver(ctx, event(t, `{}`, "k")), false)
	})
}

func TestDirConfig(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     DirConfig
		wantErr string
	}{
		{"ok", DirConfig{Dir: t.TempDir(), Mode: "0600"}, ""},
		{"no dir", DirConfig{}, "dir is required"},
		{"bad template", DirConfig{Dir: t.TempDir(), Name: "{{.Key"}, "template"},
		{"bad mode", DirConfig{Dir: t.TempDir(), Mode: "644x"}, "mode"},
		{"dir is a file", DirConfig{Dir: file}, "not a directory"},
	}
	for _, tt := range tests {
		_, err := NewDir(tt.cfg, nil)
		if tt.wantErr == "" && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantErr)
		}
	}
}

func BenchmarkDirDeliver(b *testing.B) {
	d := newDir(b, DirConfig{Dir: b.TempDir()})
	body := `{"id":1419977,"status":"DOWNLOADED","links":{"bytes":"https://s3.amazonaws.com/photos/100404.jpg"},"version":2}`
	events := make([]*consumer.Event, 64)
	for i := range events {
		events[i] = event(b, body, "1419977:DOWNLOADED:"+strconv.Itoa(i))
	}
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := d.Deliver(ctx, events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
