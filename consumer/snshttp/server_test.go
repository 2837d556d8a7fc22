package snshttp_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/snshttp"
)

// startServer starts a Server on a free port and stops it at cleanup.
func startServer(t *testing.T, cfg snshttp.Config, p consumer.Processor) *snshttp.Server {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	s, err := snshttp.NewServer(cfg, p, slog.New(&logRecorder{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

func TestServerServesAtPath(t *testing.T) {
	t.Parallel()
	f := newFakeSNS(t)
	rec := newRecorder()
	cfg := localConfig()
	cfg.Path = "/sns/orders"
	s := startServer(t, cfg, rec)

	_, port, err := net.SplitHostPort(s.Addr())
	if err != nil || port == "0" {
		t.Fatalf("Addr() = %q, want the bound port", s.Addr())
	}
	if want := "http://" + s.Addr() + "/sns/orders"; s.URL() != want {
		t.Errorf("URL() = %q, want %q", s.URL(), want)
	}
	req, _ := signedNotification(t, f, nil)
	for _, tc := range []struct {
		url    string
		status int
	}{
		{"http://" + s.Addr() + "/", 404},
		{"http://" + s.Addr() + "/sns/orders/x", 404},
		{s.URL() + "?topic=orders", 200},
		{s.URL(), 200},
	} {
		if status, _ := post(t, http.MethodPost, tc.url, req.body, req.header); status != tc.status {
			t.Errorf("POST %s: status %d, want %d", tc.url, status, tc.status)
		}
	}
	if got := s.Stats().Processed.Load(); got != 2 {
		t.Errorf("Processed = %d, want 2", got)
	}
}

func TestServerStopWaitsForInFlight(t *testing.T) {
	t.Parallel()
	f := newFakeSNS(t)
	rec := newRecorder()
	rec.gate = make(chan struct{})
	cfg := localConfig()
	cfg.Listen = "127.0.0.1:0"
	s, err := snshttp.NewServer(cfg, rec, slog.New(&logRecorder{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(t.Context()); err != nil { // before Start: nothing to do
		t.Fatalf("Stop before Start: %v", err)
	}
	s, err = snshttp.NewServer(cfg, rec, slog.New(&logRecorder{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err == nil {
		t.Error("second Start succeeded, want an error")
	}

	req, _ := signedNotification(t, f, nil)
	posted := make(chan int, 1)
	go func() {
		status, _ := post(t, http.MethodPost, s.URL(), req.body, req.header)
		posted <- status
	}()
	<-rec.entered // the notification is being processed

	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop(context.Background()) }()
	// The listener closes first: wait until new connections are refused.
	waitRefused(t, s.Addr())
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a notification was in flight", err)
	default:
	}
	close(rec.gate)
	if status := <-posted; status != 200 {
		t.Errorf("in-flight notification answered %d, want 200", status)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := s.Stop(t.Context()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := s.Start(t.Context()); err == nil {
		t.Error("Start after Stop succeeded, want an error")
	}
}

func TestServerStopDeadline(t *testing.T) {
	t.Parallel()
	f := newFakeSNS(t)
	rec := newRecorder()
	rec.gate = make(chan struct{}) // never opened: the processor holds on
	cfg := localConfig()
	cfg.Listen = "127.0.0.1:0"
	s, err := snshttp.NewServer(cfg, rec, slog.New(&logRecorder{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	req, _ := signedNotification(t, f, nil)
	posted := make(chan error, 1)
	go func() {
		hreq, _ := http.NewRequest(http.MethodPost, s.URL(), bytes.NewReader(req.body))
		resp, err := http.DefaultClient.Do(hreq)
		if err == nil {
			resp.Body.Close()
			err = errors.New(resp.Status)
		}
		posted <- err
	}()
	<-rec.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no grace at all
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop(ctx) }()
	select {
	case err := <-stopped:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Stop = %v, want context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Stop did not return after its context ended")
	}
	// The connection was closed under the request: SNS sees no answer and
	// retries.
	if err := <-posted; err == nil || strings.Contains(err.Error(), "200") {
		t.Errorf("in-flight request got %v, want a broken connection", err)
	}
}

// waitRefused waits until addr refuses connections.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%s still accepts connections", addr)
		}
		// Shutdown closes the listener before anything else; this loop
		// only spans the moment between the goroutine starting and that.
		time.Sleep(time.Millisecond)
	}
}

func TestServerHTTPS(t *testing.T) {
	t.Parallel()
	f := newFakeSNS(t)
	rec := newRecorder()
	certFile, keyFile, pool := tlsFiles(t)
	cfg := localConfig()
	cfg.TLSCert, cfg.TLSKey = certFile, keyFile
	s := startServer(t, cfg, rec)
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL() = %q, want https", s.URL())
	}
	req, _ := signedNotification(t, f, nil)

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	hreq, _ := http.NewRequest(http.MethodPost, s.URL(), bytes.NewReader(req.body))
	hreq.Header = req.header
	resp, err := client.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Errorf("status %d, TLS %v; want 200 over TLS", resp.StatusCode, resp.TLS != nil)
	}
	if len(rec.messages()) != 1 {
		t.Errorf("processor got %d messages, want 1", len(rec.messages()))
	}

	// Plain HTTP to the HTTPS port is not served.
	plain := strings.Replace(s.URL(), "https://", "http://", 1)
	if status, _ := post(t, http.MethodPost, plain, req.body, req.header); status != 400 {
		t.Errorf("plain HTTP: status %d, want 400", status)
	}
	if len(rec.messages()) != 1 {
		t.Errorf("processor got %d messages, want still 1", len(rec.messages()))
	}
}

func TestServerStartErrors(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  snshttp.Config
	}{
		{"address in use", snshttp.Config{Listen: busy.Addr().String()}},
		{"missing TLS files", snshttp.Config{Listen: "127.0.0.1:0", TLSCert: filepath.Join(dir, "no.pem"), TLSKey: filepath.Join(dir, "no.key")}},
		{"bad TLS files", snshttp.Config{Listen: "127.0.0.1:0", TLSCert: junk, TLSKey: junk}},
	} {
		s, err := snshttp.NewServer(tc.cfg, newRecorder(), slog.New(&logRecorder{}))
		if err != nil {
			t.Fatalf("%s: NewServer: %v", tc.name, err)
		}
		if err := s.Start(t.Context()); err == nil {
			s.Stop(t.Context())
			t.Errorf("%s: Start succeeded, want an error", tc.name)
		}
		if s.Addr() != "" || s.URL() != "" {
			t.Errorf("%s: Addr %q, URL %q after a failed Start, want empty", tc.name, s.Addr(), s.URL())
		}
	}
	if _, err := snshttp.NewServer(snshttp.Config{}, newRecorder(), nil); err == nil {
		t.Error("NewServer without Listen succeeded, want an error")
	}
}

// tlsFiles writes a certificate for 127.0.0.1 and its key and returns
// their paths and a pool that trusts the certificate.
func tlsFiles(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "snshttp test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
