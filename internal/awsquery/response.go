package awsquery

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
)

const xmlDeclaration = `<?xml version="1.0"?>`

// Service is what differs between the AWS services Herald answers for in
// the shape of their responses.
type Service struct {
	// Namespace is the XML namespace of every Query response.
	Namespace string
	// ErrorTypePrefix prefixes a JSON error's __type, e.g.
	// "com.amazonaws.sqs#".
	ErrorTypePrefix string
	// Declaration starts XML responses with <?xml version="1.0"?> (SQS
	// does, SNS does not).
	Declaration bool
	// ErrorDetail puts an empty <Detail/> in Query errors (SQS does).
	ErrorDetail bool
}

// WireError is one error as it goes on the wire.
type WireError struct {
	Shape   string // JSON __type suffix
	Code    string // Query <Code> and the x-amzn-query-error code
	Fault   string // Sender or Receiver
	Status  int
	Message string
}

// WriteResult answers a successful call: out as JSON (nil as {}) or as the
// XML response of action. It returns json.Marshal's error before writing
// anything.
func (s Service) WriteResult(w http.ResponseWriter, jsonProto bool, action string, out any, requestID string) error {
	var body []byte
	if jsonProto {
		body = []byte("{}")
		if out != nil {
			b, err := json.Marshal(out)
			if err != nil {
				return err
			}
			body = b
		}
	} else {
		body = s.EncodeXML(action, out, requestID)
	}
	w.Header().Set("x-amzn-RequestId", requestID)
	if jsonProto {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	} else {
		w.Header().Set("Content-Type", "text/xml")
	}
	_, _ = w.Write(body)
	return nil
}

// WriteError answers a failed call: JSON with __type and the
// x-amzn-query-error header, or a Query <ErrorResponse>.
func (s Service) WriteError(w http.ResponseWriter, jsonProto bool, e WireError, requestID string) {
	w.Header().Set("x-amzn-RequestId", requestID)
	if jsonProto {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("x-amzn-query-error", e.Code+";"+e.Fault)
		w.WriteHeader(e.Status)
		b, _ := json.Marshal(map[string]string{"__type": s.ErrorTypePrefix + e.Shape, "message": e.Message})
		_, _ = w.Write(b)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	var b strings.Builder
	if s.Declaration {
		b.WriteString(xmlDeclaration)
	}
	b.WriteString(`<ErrorResponse xmlns="` + s.Namespace + `"><Error><Type>` + e.Fault + `</Type><Code>` + e.Code + `</Code><Message>`)
	_ = xml.EscapeText(&b, []byte(e.Message))
	b.WriteString(`</Message>`)
	if s.ErrorDetail {
		b.WriteString(`<Detail/>`)
	}
	b.WriteString(`</Error><RequestId>` + requestID + `</RequestId></ErrorResponse>`)
	_, _ = w.Write([]byte(b.String()))
}

// NewRequestID returns a random request id in AWS's UUID form.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}
