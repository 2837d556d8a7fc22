package awsquery

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"sync"

	"github.com/herald-dev/herald/internal/uuid"
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
			buf := jsonBufs.Get().(*bytes.Buffer)
			defer putJSONBuf(buf)
			if err := jsonEncode(buf, out); err != nil {
				return err
			}
			body = buf.Bytes()
		}
	} else {
		body = s.EncodeXML(action, out, requestID)
	}
	setRequestID(w.Header(), requestID)
	if jsonProto {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	} else {
		w.Header().Set("Content-Type", "text/xml")
	}
	_, _ = w.Write(body)
	return nil
}

// jsonBufs recycles the buffers JSON results are encoded in.
var jsonBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putJSONBuf(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return // do not keep what a large result grew
	}
	b.Reset()
	jsonBufs.Put(b)
}

// jsonEncode writes json.Marshal(v) into buf, without the copy Marshal
// makes of its result: an Encoder's output (HTML escaped, as Marshal's) is
// Marshal's and a newline, which is removed.
func jsonEncode(buf *bytes.Buffer, v any) error {
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1)
	return nil
}

// WriteError answers a failed call: JSON with __type and the
// x-amzn-query-error header, or a Query <ErrorResponse>.
func (s Service) WriteError(w http.ResponseWriter, jsonProto bool, e WireError, requestID string) {
	setRequestID(w.Header(), requestID)
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

// requestIDHeader is x-amzn-RequestId in its canonical form, as
// http.Header.Set would store it (without canonicalizing it each time).
var requestIDHeader = http.CanonicalHeaderKey("x-amzn-RequestId")

func setRequestID(h http.Header, id string) { h[requestIDHeader] = []string{id} }

// NewRequestID returns a random request id in AWS's UUID form.
func NewRequestID() string { return uuid.Format(uuid.Random()) }
