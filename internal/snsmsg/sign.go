package snsmsg

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Errors returned by StringToSign and Sign.
var (
	// ErrUnknownType: Type is not one of the three SNS message types.
	ErrUnknownType = errors.New("snsmsg: unknown message type")
	// ErrMissingField: a field the type signs is empty.
	ErrMissingField = errors.New("snsmsg: missing field")
	// ErrInvalidUTF8: a signed field is not valid UTF-8, so the signature
	// could not match what Marshal writes.
	ErrInvalidUTF8 = errors.New("snsmsg: field is not valid UTF-8")
	// ErrSignatureVersion: SignatureVersion is neither "1" nor "2".
	ErrSignatureVersion = errors.New("snsmsg: unsupported signature version")
)

// signedField is one name/value pair of the string to sign.
type signedField struct {
	name, value string
	optional    bool // left out when empty (Subject)
}

// StringToSign returns the text SNS signs for m: for each signed field, in
// byte order of the names, "Name\nValue\n" with the value unescaped.
//
//   - Notification: Message, MessageId, Subject (only if not empty),
//     Timestamp, TopicArn, Type.
//   - SubscriptionConfirmation and UnsubscribeConfirmation: Message,
//     MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type.
//
// SequenceNumber, UnsubscribeURL, MessageAttributes and the signature
// fields are not signed. Message may be empty; the other listed fields are
// required. Errors: ErrUnknownType, ErrMissingField, ErrInvalidUTF8 (each
// wrapped with the field's name).
func StringToSign(m *Message) (string, error) {
	var fields []signedField
	switch m.Type {
	case TypeNotification:
		fields = []signedField{
			{"Message", m.Message, false},
			{"MessageId", m.MessageId, false},
			{"Subject", m.Subject, true},
			{"Timestamp", m.Timestamp, false},
			{"TopicArn", m.TopicArn, false},
			{"Type", m.Type, false},
		}
	case TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
		fields = []signedField{
			{"Message", m.Message, false},
			{"MessageId", m.MessageId, false},
			{"SubscribeURL", m.SubscribeURL, false},
			{"Timestamp", m.Timestamp, false},
			{"Token", m.Token, false},
			{"TopicArn", m.TopicArn, false},
			{"Type", m.Type, false},
		}
	default:
		return "", fmt.Errorf("%w: %q", ErrUnknownType, m.Type)
	}
	var sb strings.Builder
	for _, f := range fields {
		if f.value == "" {
			if f.optional {
				continue
			}
			if f.name != "Message" {
				return "", fmt.Errorf("%w: %s", ErrMissingField, f.name)
			}
		}
		if !utf8.ValidString(f.value) {
			return "", fmt.Errorf("%w: %s", ErrInvalidUTF8, f.name)
		}
		sb.WriteString(f.name)
		sb.WriteByte('\n')
		sb.WriteString(f.value)
		sb.WriteByte('\n')
	}
	return sb.String(), nil
}

// Signer signs messages with an RSA key whose self-signed certificate is
// published at the messages' SigningCertURL. It is immutable and safe for
// concurrent use.
type Signer struct {
	key     *rsa.PrivateKey
	cert    *x509.Certificate
	certPEM []byte
	name    string
}

// NewSigner returns a Signer for key and certPEM, a PEM "CERTIFICATE" block
// whose public key must be key's.
func NewSigner(key *rsa.PrivateKey, certPEM []byte) (*Signer, error) {
	if key == nil {
		return nil, errors.New("snsmsg: nil key")
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("snsmsg: certificate is not a PEM CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("snsmsg: parse certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, errors.New("snsmsg: certificate does not match the key")
	}
	sum := sha256.Sum256(cert.Raw)
	return &Signer{
		key:     key,
		cert:    cert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		name:    "SimpleNotificationService-" + hex.EncodeToString(sum[:16]) + ".pem",
	}, nil
}

// CertPEM returns the certificate, PEM-encoded, as it should be served at
// SigningCertURL. The caller must not modify it.
func (s *Signer) CertPEM() []byte { return s.certPEM }

// Certificate returns the parsed certificate.
func (s *Signer) Certificate() *x509.Certificate { return s.cert }

// CertName returns the file name to serve the certificate under, stable for
// a given certificate: "SimpleNotificationService-" followed by the first
// 32 hex digits of the SHA-256 of its DER encoding and ".pem", in the shape
// of AWS's names.
func (s *Signer) CertName() string { return s.name }

// Sign signs m in place: it sets m.Signature from the string to sign, using
// SHA1withRSA for SignatureVersion "1" and SHA256withRSA for "2"; an empty
// SignatureVersion means "1" and is set. Sign does not set SigningCertURL
// (the server knows its own URL). AWS does not sign notifications from
// FIFO topics; do not call Sign for them.
//
// Errors: ErrSignatureVersion, and those of StringToSign; m is unchanged
// on error.
func (s *Signer) Sign(m *Message) error {
	version := m.SignatureVersion
	if version == "" {
		version = SignatureVersion1
	}
	var (
		hash   crypto.Hash
		digest []byte
	)
	text, err := StringToSign(m)
	if err != nil {
		return err
	}
	switch version {
	case SignatureVersion1:
		sum := sha1.Sum([]byte(text))
		hash, digest = crypto.SHA1, sum[:]
	case SignatureVersion2:
		sum := sha256.Sum256([]byte(text))
		hash, digest = crypto.SHA256, sum[:]
	default:
		return fmt.Errorf("%w: %q", ErrSignatureVersion, version)
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, hash, digest)
	if err != nil {
		return fmt.Errorf("snsmsg: sign: %w", err)
	}
	m.SignatureVersion = version
	m.Signature = base64.StdEncoding.EncodeToString(sig)
	return nil
}
