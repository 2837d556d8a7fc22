package snsverify

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The tests sign their own messages, building the string to sign from the
// lists on AWS's "Verifying the signatures of Amazon SNS messages" page
// rather than from the package's code.

var testKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

func key(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// certPEM makes a self-signed certificate for k valid from notBefore to
// notAfter.
func certPEM(t testing.TB, k *rsa.PrivateKey, notBefore, notAfter time.Time) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "sns.test"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// certServer serves documents by path and counts requests.
type certServer struct {
	*httptest.Server
	mu    sync.Mutex
	docs  map[string][]byte
	hits  atomic.Int64
	block chan struct{} // if set, requests wait for it to close
	// arrived is closed when the first request arrives.
	arrived     chan struct{}
	arrivedOnce sync.Once
}

func newCertServer(t testing.TB) *certServer { return newBlockingCertServer(t, nil) }

// newBlockingCertServer makes a server whose handlers wait for block to
// close (or the request to end) before answering.
func newBlockingCertServer(t testing.TB, block chan struct{}) *certServer {
	t.Helper()
	cs := &certServer{docs: make(map[string][]byte), block: block, arrived: make(chan struct{})}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.hits.Add(1)
		cs.arrivedOnce.Do(func() { close(cs.arrived) })
		if cs.block != nil {
			select {
			case <-cs.block:
			case <-r.Context().Done():
				return
			}
		}
		if r.URL.Path == "/redirect.pem" {
			http.Redirect(w, r, "/good.pem", http.StatusFound)
			return
		}
		cs.mu.Lock()
		doc, ok := cs.docs[r.URL.Path]
		cs.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(doc)
	}))
	t.Cleanup(cs.Close)
	return cs
}

func (cs *certServer) put(path string, doc []byte) string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.docs[path] = doc
	return cs.URL + path
}

// localOptions trusts the test server.
func localOptions(cs *certServer) Options {
	return Options{
		HostPattern: regexp.MustCompile(`^127\.0\.0\.1$`),
		AllowHTTP:   true,
		Client:      cs.Client(),
	}
}

// signedFields returns the fields AWS documents as signed for typ, in order.
func signedFields(typ string) []string {
	if typ == TypeNotification {
		return []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	}
	return []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
}

// sign sets SignatureVersion and Signature in msg, signing the fields AWS
// lists for its Type with k.
func sign(t testing.TB, k *rsa.PrivateKey, version string, msg map[string]any) {
	t.Helper()
	var sb strings.Builder
	for _, f := range signedFields(msg["Type"].(string)) {
		if v, ok := msg[f]; ok {
			sb.WriteString(f + "\n" + v.(string) + "\n")
		}
	}
	var (
		h      crypto.Hash
		digest []byte
	)
	if version == "2" {
		s := sha256.Sum256([]byte(sb.String()))
		h, digest = crypto.SHA256, s[:]
	} else {
		s := sha1.Sum([]byte(sb.String()))
		h, digest = crypto.SHA1, s[:]
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, h, digest)
	if err != nil {
		t.Fatal(err)
	}
	msg["SignatureVersion"] = version
	msg["Signature"] = base64.StdEncoding.EncodeToString(sig)
}

func body(t testing.TB, msg map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(msg) // HTML-escapes <, >, &: the verifier must unescape
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func notification(certURL string) map[string]any {
	return map[string]any{
		"Type":           TypeNotification,
		"MessageId":      "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		"TopicArn":       "arn:aws:sns:us-west-2:123456789012:MyTopic",
		"Subject":        "My First Message <&>",
		"Message":        "Hello world!\n{\"a\":\"<b>\"} é 🙂",
		"Timestamp":      "2012-05-02T00:54:06.655Z",
		"SigningCertURL": certURL,
		"UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
	}
}

func confirmation(typ, certURL string) map[string]any {
	return map[string]any{
		"Type":           typ,
		"MessageId":      "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		"Token":          "2336412f37",
		"TopicArn":       "arn:aws:sns:us-west-2:123456789012:MyTopic",
		"Message":        "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		"SubscribeURL":   "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37",
		"Timestamp":      "2012-04-26T20:45:04.751Z",
		"SigningCertURL": certURL,
	}
}
