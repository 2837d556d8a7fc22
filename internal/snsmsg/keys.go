package snsmsg

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// Files LoadOrCreate keeps in its directory.
const (
	KeyFile  = "sns-signing-key.pem"  // PKCS #8 "PRIVATE KEY", mode 0600
	CertFile = "sns-signing-cert.pem" // "CERTIFICATE", mode 0644
)

// Certificate parameters.
const (
	keyBits        = 2048
	certCommonName = "sns.herald.local"
	certValidity   = 20 * 365 * 24 * time.Hour
	// certRenewBefore: LoadOrCreate replaces a certificate this close to
	// its expiry (keeping the key).
	certRenewBefore = 30 * 24 * time.Hour
)

// LoadOrCreate returns the Signer kept in dir, creating it on first use:
// an RSA-2048 key and a self-signed certificate for it (CN
// sns.herald.local, valid for 20 years, key usage digital signature). The
// directory is created (0700) if needed; the files are written atomically
// (temporary file, fsync, rename), the key with mode 0600.
//
// Later calls reuse the files, so the certificate and its CertName stay the
// same across restarts. If the key exists but the certificate is missing,
// does not match the key or expires within 30 days, a new certificate is
// made for the same key. A key file that cannot be parsed is an error: it
// is never overwritten.
func LoadOrCreate(dir string) (*Signer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("snsmsg: %w", err)
	}
	keyPath, certPath := filepath.Join(dir, KeyFile), filepath.Join(dir, CertFile)

	keyPEM, err := os.ReadFile(keyPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		key, err := rsa.GenerateKey(rand.Reader, keyBits)
		if err != nil {
			return nil, fmt.Errorf("snsmsg: generate key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("snsmsg: encode key: %w", err)
		}
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("snsmsg: %w", err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("snsmsg: %s: %w", keyPath, err)
	}

	certPEM, err := os.ReadFile(certPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("snsmsg: %w", err)
	}
	if err == nil {
		s, err := NewSigner(key, certPEM)
		if err == nil && time.Until(s.cert.NotAfter) > certRenewBefore {
			return s, nil
		}
	}
	certPEM, err = selfSign(key, time.Now())
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(certPath, certPEM, 0o644); err != nil {
		return nil, err
	}
	return NewSigner(key, certPEM)
}

// Ephemeral returns a Signer with a new key and certificate held only in
// memory (for --in-memory brokers and tests): its CertName changes with
// every call.
func Ephemeral() (*Signer, error) {
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("snsmsg: generate key: %w", err)
	}
	certPEM, err := selfSign(key, time.Now())
	if err != nil {
		return nil, err
	}
	return NewSigner(key, certPEM)
}

// parseKey reads a PEM RSA private key, PKCS #8 or PKCS #1.
func parseKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key is %T, not RSA", k)
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
	}
}

// selfSign makes a self-signed certificate for key, valid from an hour
// before now (for clock skew) for certValidity.
func selfSign(key *rsa.PrivateKey, now time.Time) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("snsmsg: serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   certCommonName,
			Organization: []string{"Herald"},
		},
		DNSNames:              []string{certCommonName},
		NotBefore:             now.Add(-time.Hour).UTC(),
		NotAfter:              now.Add(certValidity).UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("snsmsg: create certificate: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, synced and renamed over path, then syncs the directory.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("snsmsg: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("snsmsg: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("snsmsg: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("snsmsg: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("snsmsg: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("snsmsg: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every filesystem syncs directories
		d.Close()
	}
	return nil
}
