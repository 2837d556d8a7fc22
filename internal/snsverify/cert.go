package snsverify

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// checkCertURL checks SigningCertURL before anything is fetched from it.
func (v *Verifier) checkCertURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCertURL, err)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !v.allowHTTP {
			return fmt.Errorf("%w: http is not allowed", ErrCertURL)
		}
	default:
		return fmt.Errorf("%w: scheme %q", ErrCertURL, u.Scheme)
	}
	if u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Host == "" {
		return fmt.Errorf("%w: %q", ErrCertURL, raw)
	}
	if !strings.HasSuffix(u.Path, ".pem") {
		return fmt.Errorf("%w: not a .pem file", ErrCertURL)
	}
	host := u.Hostname()
	if v.matchHostPort {
		host = u.Host
	}
	if !v.hostPattern.MatchString(host) {
		return fmt.Errorf("%w: %q", ErrCertHost, host)
	}
	return nil
}

// certEntry is one cached certificate, or a fetch in flight (done open).
// cert, err and fetched are written before done is closed and only read
// after.
type certEntry struct {
	done    chan struct{}
	cert    *x509.Certificate
	err     error
	fetched time.Time
}

// certificate returns the certificate at rawURL, from the cache if fetched
// less than CacheTTL ago. Concurrent calls for one URL share one fetch.
func (v *Verifier) certificate(ctx context.Context, rawURL string) (*x509.Certificate, error) {
	v.mu.Lock()
	e := v.cache[rawURL]
	if e != nil {
		select {
		case <-e.done:
			if e.err != nil || time.Since(e.fetched) >= v.ttl {
				e = nil // failed or stale: fetch again
			}
		default: // in flight
		}
	}
	if e == nil {
		e = &certEntry{done: make(chan struct{})}
		v.evictLocked()
		v.cache[rawURL] = e
		v.mu.Unlock()

		e.cert, e.err = v.fetch(ctx, rawURL)
		e.fetched = time.Now()
		close(e.done)
		if e.err != nil {
			v.mu.Lock()
			if v.cache[rawURL] == e {
				delete(v.cache, rawURL)
			}
			v.mu.Unlock()
		}
		return e.cert, e.err
	}
	v.mu.Unlock()

	select {
	case <-e.done:
		return e.cert, e.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %v", ErrCertFetch, ctx.Err())
	}
}

// evictLocked makes room for one more entry: it drops stale entries and,
// if the cache is still full, the oldest finished one. v.mu is held.
func (v *Verifier) evictLocked() {
	if len(v.cache) < maxCacheEntries {
		return
	}
	var oldestKey string
	var oldest time.Time
	for k, e := range v.cache {
		select {
		case <-e.done:
		default:
			continue // in flight
		}
		if time.Since(e.fetched) >= v.ttl {
			delete(v.cache, k)
			continue
		}
		if oldestKey == "" || e.fetched.Before(oldest) {
			oldestKey, oldest = k, e.fetched
		}
	}
	if len(v.cache) >= maxCacheEntries && oldestKey != "" {
		delete(v.cache, oldestKey)
	}
}

// fetch downloads and parses the certificate at rawURL.
func (v *Verifier) fetch(ctx context.Context, rawURL string) (*x509.Certificate, error) {
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCertURL, err)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCertFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s: status %d", ErrCertFetch, rawURL, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxCertSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCertFetch, err)
	}
	if len(data) > MaxCertSize {
		return nil, fmt.Errorf("%w: %s: larger than %d bytes", ErrCertFetch, rawURL, MaxCertSize)
	}
	return v.parseCert(data)
}

// parseCert reads a PEM document: the first CERTIFICATE block is the
// signing certificate, any others are intermediates for the chain check.
func (v *Verifier) parseCert(data []byte) (*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCertInvalid, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%w: no PEM certificate", ErrCertInvalid)
	}
	leaf := certs[0]
	if _, ok := leaf.PublicKey.(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("%w: key is not RSA", ErrCertInvalid)
	}
	if v.roots != nil {
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, err := leaf.Verify(x509.VerifyOptions{
			Roots:         v.roots,
			Intermediates: inter,
			CurrentTime:   v.now(),
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
		})
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCertInvalid, err)
		}
	}
	return leaf, nil
}
