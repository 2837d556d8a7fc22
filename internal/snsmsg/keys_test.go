package snsmsg

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadOrCreate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	s1, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s1.CertPEM(), s2.CertPEM()) || s1.CertName() != s2.CertName() {
		t.Errorf("second LoadOrCreate made a new certificate: %s vs %s", s1.CertName(), s2.CertName())
	}
	if !s1.key.Equal(s2.key) {
		t.Error("second LoadOrCreate made a new key")
	}

	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("directory holds %d files, want 2 (no temporary files left)", len(entries))
	}

	c := s1.Certificate()
	if c.Subject.CommonName != "sns.herald.local" {
		t.Errorf("CN = %q", c.Subject.CommonName)
	}
	if c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		t.Error("certificate is not for digital signatures")
	}
	if time.Until(c.NotAfter) < 10*365*24*time.Hour || time.Now().Before(c.NotBefore) {
		t.Errorf("validity %v to %v", c.NotBefore, c.NotAfter)
	}
	if n := c.PublicKey.(*rsa.PublicKey).N.BitLen(); n != 2048 {
		t.Errorf("key has %d bits", n)
	}
	if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
}

func TestLoadOrCreateRenewsCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s1, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, CertFile)); err != nil {
		t.Fatal(err)
	}
	s2, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !s1.key.Equal(s2.key) {
		t.Error("key replaced when only the certificate was missing")
	}
	if s1.CertName() == s2.CertName() {
		t.Error("certificate not recreated")
	}

	// A certificate that expires soon is replaced, with the same key.
	soon, err := selfSign(s2.key, time.Now().Add(-certValidity+24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, CertFile), soon, 0o644); err != nil {
		t.Fatal(err)
	}
	s3, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(s3.CertPEM(), soon) || !s3.key.Equal(s2.key) {
		t.Error("expiring certificate not renewed with the same key")
	}
}

func TestLoadOrCreateBadKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, KeyFile)
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreate(dir); err == nil {
		t.Fatal("LoadOrCreate accepted a corrupt key")
	}
	if b, _ := os.ReadFile(path); string(b) != "garbage" {
		t.Error("corrupt key file was overwritten")
	}
}

func TestEphemeral(t *testing.T) {
	t.Parallel()
	a := signer(t)
	b, err := Ephemeral()
	if err != nil {
		t.Fatal(err)
	}
	if a.CertName() == b.CertName() {
		t.Error("two ephemeral signers share a certificate")
	}
}
