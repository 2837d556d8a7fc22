package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// tlsConfig returns the HTTPS listener's configuration: the certificate
// and key files given, or (--tls-self-signed) a self-signed certificate for
// localhost, 127.0.0.1 and ::1 kept in the data directory (made on first
// start; certPath says where, for clients to trust it). It returns nil when
// HTTPS is off.
func tlsConfig(f *serveFlags) (cfg *tls.Config, certPath string, err error) {
	switch {
	case f.tlsListen == "":
		if f.tlsCert != "" || f.tlsKey != "" || f.tlsSelfSigned {
			return nil, "", usageError{"--tls-cert, --tls-key and --tls-self-signed need --tls-listen"}
		}
		return nil, "", nil
	case f.tlsSelfSigned && (f.tlsCert != "" || f.tlsKey != ""):
		return nil, "", usageError{"--tls-self-signed excludes --tls-cert and --tls-key"}
	case f.tlsSelfSigned:
		dir := f.data
		if f.inMemory {
			if dir, err = os.MkdirTemp("", "herald-tls-"); err != nil {
				return nil, "", err
			}
		}
		certPath, keyPath := filepath.Join(dir, "tls-cert.pem"), filepath.Join(dir, "tls-key.pem")
		if _, err := os.Stat(certPath); errors.Is(err, os.ErrNotExist) {
			if err := writeSelfSigned(certPath, keyPath); err != nil {
				return nil, "", fmt.Errorf("self-signed certificate: %w", err)
			}
		}
		f.tlsCert, f.tlsKey = certPath, keyPath
	case f.tlsCert == "" || f.tlsKey == "":
		return nil, "", usageError{"--tls-listen needs --tls-cert and --tls-key, or --tls-self-signed"}
	}
	cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
	if err != nil {
		return nil, "", fmt.Errorf("TLS certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, f.tlsCert, nil
}

// writeSelfSigned makes a P-256 certificate valid for ten years for
// localhost, 127.0.0.1 and ::1.
func writeSelfSigned(certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "herald (self-signed, development)"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(certPath), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}
