package sigv4

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The chunked-upload example of AWS's SigV4 documentation (Amazon S3 API
// reference, "Transferring Payload in Multiple Chunks"): 66560 bytes of 'a'
// in chunks of 65536, 1024 and 0 bytes.
func awsChunkedExample() (*http.Request, []byte, *Verifier) {
	sig := func(s string) string { return ";chunk-signature=" + s + "\r\n" }
	var body bytes.Buffer
	body.WriteString("10000" + sig("ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"))
	body.WriteString(strings.Repeat("a", 65536) + "\r\n")
	body.WriteString("400" + sig("0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"))
	body.WriteString(strings.Repeat("a", 1024) + "\r\n")
	body.WriteString("0" + sig("b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9") + "\r\n")

	r := httptest.NewRequest(http.MethodPut, "http://s3.amazonaws.com/examplebucket/chunkObject.txt", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"+
		"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"+
		"Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
	r.Header.Set("X-Amz-Date", "20130524T000000Z")
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	r.Header.Set("Content-Length", "66824")
	v := &Verifier{
		Service: "s3", Region: "us-east-1",
		Now: func() time.Time { return time.Date(2013, 5, 24, 0, 5, 0, 0, time.UTC) },
		Lookup: func(ak string) (Identity, bool) {
			return Identity{AccessKeyID: ak, SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, ak == "AKIAIOSFODNN7EXAMPLE"
		},
	}
	return r, body.Bytes(), v
}

func TestChunkedAWSExample(t *testing.T) {
	r, body, v := awsChunkedExample()
	if len(body) != 66824 {
		t.Fatalf("body is %d bytes", len(body))
	}
	_, payload, err := v.VerifyPayload(r, body)
	if err != nil {
		t.Fatal(err)
	}
	if len(payload) != 66560 || strings.Trim(string(payload), "a") != "" {
		t.Fatalf("payload of %d bytes", len(payload))
	}

	for name, mutate := range map[string]func([]byte) []byte{
		"chunk data": func(b []byte) []byte { b[100] = 'b'; return b },
		"chunk signature": func(b []byte) []byte {
			i := bytes.Index(b, []byte("0055627c"))
			b[i] = '1'
			return b
		},
		"dropped final chunk": func(b []byte) []byte { return b[:len(b)-86] },
		"trailing data":       func(b []byte) []byte { return append(b, 'x') },
	} {
		t.Run(name, func(t *testing.T) {
			r, body, v := awsChunkedExample()
			_, err := v.Verify(r, mutate(body))
			if err == nil {
				t.Fatal("tampered chunked body accepted")
			}
			e := err.(*Error)
			if e.Code != CodeSignatureDoesNotMatch && e.Code != CodeIncompleteSignature {
				t.Fatalf("got %v", err)
			}
		})
	}
}
