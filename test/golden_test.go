package test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The golden tests send raw HTTP requests (no SDK) in both SQS protocols and
// compare the responses, with volatile parts normalized, to the files under
// testdata/golden/. Run with -update to rewrite them; review the diff by
// hand against AWS's shapes (docs: /tmp/research/sqs-wire.md).

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const (
	sqsNamespace = "http://queue.amazonaws.com/doc/2012-11-05/"
	goldenHost   = "http://HOST"
)

// goldenStep is one request: Query form parameters, or a JSON target and
// body. "{{BASE}}" in a value stands for the server's base URL.
type goldenStep struct {
	name   string
	query  [][2]string // Query protocol: form parameters, in order
	target string      // JSON protocol: X-Amz-Target operation
	body   string      // JSON protocol: request body
	status int         // expected HTTP status
}

func queryBody(params [][2]string, base string) string {
	var parts []string
	for _, kv := range params {
		parts = append(parts, url.QueryEscape(kv[0])+"="+url.QueryEscape(strings.ReplaceAll(kv[1], "{{BASE}}", base)))
	}
	return strings.Join(parts, "&")
}

func TestGoldenQuery(t *testing.T) {
	t.Parallel()
	q := "{{BASE}}/000000000000/golden-query"
	steps := []goldenStep{
		{name: "create_queue", status: 200, query: [][2]string{{"Action", "CreateQueue"}, {"Version", "2012-11-05"}, {"QueueName", "golden-query"},
			{"Attribute.1.Name", "VisibilityTimeout"}, {"Attribute.1.Value", "45"}, {"Tag.1.Key", "team"}, {"Tag.1.Value", "core"}}},
		{name: "send_message", status: 200, query: [][2]string{{"Action", "SendMessage"}, {"Version", "2012-11-05"}, {"QueueUrl", q}, {"MessageBody", "hello <golden> & \"world\""},
			{"MessageAttribute.1.Name", "color"}, {"MessageAttribute.1.Value.DataType", "String"}, {"MessageAttribute.1.Value.StringValue", "blue"},
			{"MessageAttribute.2.Name", "blob"}, {"MessageAttribute.2.Value.DataType", "Binary"}, {"MessageAttribute.2.Value.BinaryValue", "SGVsbG8gYmluYXJ5IHdvcmxkIQ=="},
			{"MessageAttribute.3.Name", "price"}, {"MessageAttribute.3.Value.DataType", "Number.float"}, {"MessageAttribute.3.Value.StringValue", "4.5"}}},
		{name: "receive_message", status: 200, query: [][2]string{{"Action", "ReceiveMessage"}, {"Version", "2012-11-05"}, {"QueueUrl", q},
			{"AttributeName.1", "All"}, {"MessageAttributeName.1", "All"}, {"MaxNumberOfMessages", "10"}}},
		{name: "receive_message_empty", status: 200, query: [][2]string{{"Action", "ReceiveMessage"}, {"Version", "2012-11-05"}, {"QueueUrl", q}}},
		{name: "get_queue_attributes", status: 200, query: [][2]string{{"Action", "GetQueueAttributes"}, {"Version", "2012-11-05"}, {"QueueUrl", q}, {"AttributeName.1", "All"}}},
		{name: "send_message_batch", status: 200, query: [][2]string{{"Action", "SendMessageBatch"}, {"Version", "2012-11-05"}, {"QueueUrl", q},
			{"SendMessageBatchRequestEntry.1.Id", "ok"}, {"SendMessageBatchRequestEntry.1.MessageBody", "first"},
			{"SendMessageBatchRequestEntry.2.Id", "bad"}, {"SendMessageBatchRequestEntry.2.MessageBody", "second"}, {"SendMessageBatchRequestEntry.2.DelaySeconds", "901"},
			{"SendMessageBatchRequestEntry.3.Id", "attrs"}, {"SendMessageBatchRequestEntry.3.MessageBody", "third"},
			{"SendMessageBatchRequestEntry.3.MessageAttribute.1.Name", "n"}, {"SendMessageBatchRequestEntry.3.MessageAttribute.1.Value.DataType", "Number"},
			{"SendMessageBatchRequestEntry.3.MessageAttribute.1.Value.StringValue", "7"}}},
		{name: "list_queues", status: 200, query: [][2]string{{"Action", "ListQueues"}, {"Version", "2012-11-05"}, {"QueueNamePrefix", "golden"}}},
		{name: "list_queue_tags", status: 200, query: [][2]string{{"Action", "ListQueueTags"}, {"Version", "2012-11-05"}, {"QueueUrl", q}}},
		{name: "delete_message_batch_invalid", status: 200, query: [][2]string{{"Action", "DeleteMessageBatch"}, {"Version", "2012-11-05"}, {"QueueUrl", q},
			{"DeleteMessageBatchRequestEntry.1.Id", "x"}, {"DeleteMessageBatchRequestEntry.1.ReceiptHandle", "garbage"}}},
		{name: "error_queue_does_not_exist", status: 400, query: [][2]string{{"Action", "GetQueueUrl"}, {"Version", "2012-11-05"}, {"QueueName", "golden-missing"}}},
		{name: "error_missing_parameter", status: 400, query: [][2]string{{"Action", "SendMessage"}, {"Version", "2012-11-05"}, {"QueueUrl", q}}},
		{name: "error_invalid_action", status: 400, query: [][2]string{{"Action", "Bogus"}, {"Version", "2012-11-05"}}},
		{name: "error_too_many_entries", status: 400, query: tooManyEntriesQuery(q)},
		{name: "error_purge_in_progress_first", status: 200, query: [][2]string{{"Action", "PurgeQueue"}, {"Version", "2012-11-05"}, {"QueueUrl", q}}},
		{name: "error_purge_in_progress", status: 403, query: [][2]string{{"Action", "PurgeQueue"}, {"Version", "2012-11-05"}, {"QueueUrl", q}}},
		{name: "delete_queue", status: 200, query: [][2]string{{"Action", "DeleteQueue"}, {"Version", "2012-11-05"}, {"QueueUrl", q}}},
	}
	runGolden(t, "query", steps)
}

func tooManyEntriesQuery(q string) [][2]string {
	p := [][2]string{{"Action", "SendMessageBatch"}, {"Version", "2012-11-05"}, {"QueueUrl", q}}
	for i := 1; i <= 11; i++ {
		p = append(p, [2]string{fmt.Sprintf("SendMessageBatchRequestEntry.%d.Id", i), fmt.Sprint("e", i)},
			[2]string{fmt.Sprintf("SendMessageBatchRequestEntry.%d.MessageBody", i), "x"})
	}
	return p
}

func TestGoldenJSON(t *testing.T) {
	t.Parallel()
	q := `"QueueUrl":"{{BASE}}/000000000000/golden-json"`
	var eleven []string
	for i := 1; i <= 11; i++ {
		eleven = append(eleven, fmt.Sprintf(`{"Id":"e%d","MessageBody":"x"}`, i))
	}
	steps := []goldenStep{
		{name: "create_queue", status: 200, target: "CreateQueue", body: `{"QueueName":"golden-json","Attributes":{"VisibilityTimeout":"45"},"tags":{"team":"core"}}`},
		{name: "send_message", status: 200, target: "SendMessage", body: `{` + q + `,"MessageBody":"hello <golden> & \"world\"","MessageAttributes":{` +
			`"color":{"DataType":"String","StringValue":"blue"},` +
			`"blob":{"DataType":"Binary","BinaryValue":"SGVsbG8gYmluYXJ5IHdvcmxkIQ=="},` +
			`"price":{"DataType":"Number.float","StringValue":"4.5"}}}`},
		{name: "receive_message", status: 200, target: "ReceiveMessage", body: `{` + q + `,"MessageSystemAttributeNames":["All"],"MessageAttributeNames":["All"],"MaxNumberOfMessages":10}`},
		{name: "receive_message_empty", status: 200, target: "ReceiveMessage", body: `{` + q + `}`},
		{name: "get_queue_attributes", status: 200, target: "GetQueueAttributes", body: `{` + q + `,"AttributeNames":["All"]}`},
		{name: "send_message_batch", status: 200, target: "SendMessageBatch", body: `{` + q + `,"Entries":[` +
			`{"Id":"ok","MessageBody":"first"},{"Id":"bad","MessageBody":"second","DelaySeconds":901},` +
			`{"Id":"attrs","MessageBody":"third","MessageAttributes":{"n":{"DataType":"Number","StringValue":"7"}}}]}`},
		{name: "list_queues", status: 200, target: "ListQueues", body: `{"QueueNamePrefix":"golden"}`},
		{name: "list_queue_tags", status: 200, target: "ListQueueTags", body: `{` + q + `}`},
		{name: "delete_message_batch_invalid", status: 200, target: "DeleteMessageBatch", body: `{` + q + `,"Entries":[{"Id":"x","ReceiptHandle":"garbage"}]}`},
		{name: "error_queue_does_not_exist", status: 400, target: "GetQueueUrl", body: `{"QueueName":"golden-missing"}`},
		{name: "error_missing_parameter", status: 400, target: "SendMessage", body: `{` + q + `}`},
		{name: "error_unknown_operation", status: 400, target: "Bogus", body: `{}`},
		{name: "error_too_many_entries", status: 400, target: "SendMessageBatch", body: `{` + q + `,"Entries":[` + strings.Join(eleven, ",") + `]}`},
		{name: "error_purge_in_progress_first", status: 200, target: "PurgeQueue", body: `{` + q + `}`},
		{name: "error_purge_in_progress", status: 403, target: "PurgeQueue", body: `{` + q + `}`},
		{name: "delete_queue", status: 200, target: "DeleteQueue", body: `{` + q + `}`},
	}
	runGolden(t, "json", steps)
}

// runGolden runs steps in order against a fresh server, each checked
// against testdata/golden/<proto>/<step>.txt.
func runGolden(t *testing.T, proto string, steps []goldenStep) {
	srv := startServer(t, "--in-memory", "--no-auth") // raw, unsigned requests: the wire shapes alone
	for _, st := range steps {
		ok := t.Run(st.name, func(t *testing.T) {
			var req *http.Request
			var shownReq string
			if st.query != nil {
				req, _ = http.NewRequest("POST", srv.URL+"/", strings.NewReader(queryBody(st.query, srv.URL)))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				shownReq = "POST / HTTP/1.1\nContent-Type: application/x-www-form-urlencoded\n\n" + queryBody(st.query, goldenHost)
			} else {
				body := strings.ReplaceAll(st.body, "{{BASE}}", srv.URL)
				req, _ = http.NewRequest("POST", srv.URL+"/", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-amz-json-1.0")
				req.Header.Set("X-Amz-Target", "AmazonSQS."+st.target)
				shownReq = "POST / HTTP/1.1\nContent-Type: application/x-amz-json-1.0\nX-Amz-Target: AmazonSQS." + st.target + "\n\n" +
					strings.ReplaceAll(st.body, "{{BASE}}", goldenHost)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != st.status {
				t.Errorf("HTTP status %d, want %d: %s", resp.StatusCode, st.status, raw)
			}
			body := strings.ReplaceAll(string(raw), srv.URL, goldenHost)
			var shown string
			if st.query != nil {
				checkXMLShape(t, resp, raw)
				shown = prettyXML(t, normalizeXML(body))
			} else {
				checkJSONShape(t, resp, raw)
				shown = normalizeJSON(t, body)
			}
			got := shownReq + "\n\n" + fmt.Sprintf("HTTP/1.1 %d\n", resp.StatusCode) + shownHeaders(resp) + "\n" + shown + "\n"
			compareGolden(t, filepath.Join("..", "testdata", "golden", proto, st.name+".txt"), got)
		})
		if !ok && st.name == "create_queue" {
			t.FailNow()
		}
	}
}

// shownHeaders lists the response headers that matter to clients, with
// the request id normalized.
func shownHeaders(resp *http.Response) string {
	var b strings.Builder
	for _, h := range []string{"Content-Type", "X-Amzn-Query-Error", "X-Amzn-Requestid"} {
		if v := resp.Header.Get(h); v != "" {
			if h == "X-Amzn-Requestid" {
				v = "REQUEST-ID"
			}
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	return b.String()
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./test -run Golden -update to create it)", err)
	}
	if string(want) == got {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("%s differs at line %d:\n got: %s\nwant: %s\nwhole response:\n%s", path, i+1, g, w, got)
			return
		}
	}
}

var xmlVolatile = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`<RequestId>[^<]*</RequestId>`), "<RequestId>REQUEST-ID</RequestId>"},
	{regexp.MustCompile(`<MessageId>[^<]*</MessageId>`), "<MessageId>MESSAGE-ID</MessageId>"},
	{regexp.MustCompile(`<ReceiptHandle>[^<]*</ReceiptHandle>`), "<ReceiptHandle>RECEIPT-HANDLE</ReceiptHandle>"},
	{regexp.MustCompile(`(<Name>(?:SentTimestamp|ApproximateFirstReceiveTimestamp|CreatedTimestamp|LastModifiedTimestamp)</Name>\s*<Value>)\d+(</Value>)`), "${1}TIMESTAMP${2}"},
}

func normalizeXML(s string) string {
	for _, v := range xmlVolatile {
		s = v.re.ReplaceAllString(s, v.repl)
	}
	return s
}

var jsonVolatile = map[string]string{
	"MessageId": "MESSAGE-ID", "ReceiptHandle": "RECEIPT-HANDLE",
	"SentTimestamp": "TIMESTAMP", "ApproximateFirstReceiveTimestamp": "TIMESTAMP",
	"CreatedTimestamp": "TIMESTAMP", "LastModifiedTimestamp": "TIMESTAMP",
}

func normalizeJSON(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Errorf("response is not JSON: %v: %q", err, s)
		return s
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if r, ok := jsonVolatile[k]; ok {
					if _, isStr := e.(string); isStr {
						x[k] = r
						continue
					}
				}
				x[k] = walk(e)
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(walk(v))
	return strings.TrimRight(out.String(), "\n")
}

// prettyXML indents XML, one element per line, leaves with their text on
// one line, empty elements as <X/>.
func prettyXML(t *testing.T, s string) string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(s))
	var toks []xml.Token
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Errorf("response is not XML: %v: %q", err, s)
			return s
		}
		if cd, ok := tok.(xml.CharData); ok && len(bytes.TrimSpace(cd)) == 0 {
			continue
		}
		toks = append(toks, xml.CopyToken(tok))
	}
	var b strings.Builder
	depth := 0
	indent := func() { b.WriteString(strings.Repeat("  ", depth)) }
	name := func(n xml.Name) string {
		if n.Space != "" {
			return n.Space + ":" + n.Local
		}
		return n.Local
	}
	for i := 0; i < len(toks); i++ {
		switch tok := toks[i].(type) {
		case xml.ProcInst:
			fmt.Fprintf(&b, "<?%s %s?>\n", tok.Target, tok.Inst)
		case xml.StartElement:
			indent()
			b.WriteString("<" + name(tok.Name))
			for _, a := range tok.Attr {
				fmt.Fprintf(&b, " %s=\"%s\"", name(a.Name), strings.ReplaceAll(escXML(a.Value), `"`, "&quot;"))
			}
			if i+1 < len(toks) {
				if _, ok := toks[i+1].(xml.EndElement); ok {
					b.WriteString("/>\n")
					i++
					continue
				}
				if cd, ok := toks[i+1].(xml.CharData); ok && i+2 < len(toks) {
					if _, ok := toks[i+2].(xml.EndElement); ok {
						fmt.Fprintf(&b, ">%s</%s>\n", escXML(string(cd)), name(tok.Name))
						i += 2
						continue
					}
				}
			}
			b.WriteString(">\n")
			depth++
		case xml.EndElement:
			depth--
			indent()
			b.WriteString("</" + name(tok.Name) + ">\n")
		case xml.CharData:
			indent()
			b.WriteString(escXML(string(tok)) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// escXML escapes only what XML text requires, for readable golden files.
func escXML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// xmlNode is a generic XML tree for shape checks.
type xmlNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []xmlNode  `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n xmlNode) children() []string {
	var out []string
	for _, c := range n.Nodes {
		out = append(out, c.XMLName.Local)
	}
	return out
}

// checkXMLShape checks AWS's Query response envelope: the 2012-11-05
// namespace; <OpResponse> with an optional <OpResult> and
// <ResponseMetadata><RequestId>; errors as <ErrorResponse> with
// <Error><Type/><Code/><Message/><Detail/></Error><RequestId/>.
func checkXMLShape(t *testing.T, resp *http.Response, raw []byte) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Errorf("Content-Type %q, want text/xml", ct)
	}
	var root xmlNode
	if err := xml.Unmarshal(raw, &root); err != nil {
		t.Errorf("body is not XML: %v", err)
		return
	}
	if root.XMLName.Space != sqsNamespace {
		t.Errorf("root element %s has namespace %q, want %q", root.XMLName.Local, root.XMLName.Space, sqsNamespace)
	}
	if resp.StatusCode >= 400 {
		if root.XMLName.Local != "ErrorResponse" {
			t.Errorf("error root element %s, want ErrorResponse", root.XMLName.Local)
			return
		}
		if got := strings.Join(root.children(), ","); got != "Error,RequestId" {
			t.Errorf("ErrorResponse children %s, want Error,RequestId", got)
		}
		if len(root.Nodes) > 0 {
			got := strings.Join(root.Nodes[0].children(), ",")
			if got != "Type,Code,Message,Detail" {
				t.Errorf("Error children %s, want Type,Code,Message,Detail", got)
			}
			if typ := root.Nodes[0].Nodes[0].Text; resp.StatusCode < 500 && typ != "Sender" {
				t.Errorf("Error Type %q, want Sender", typ)
			}
		}
		return
	}
	if !strings.HasSuffix(root.XMLName.Local, "Response") {
		t.Errorf("root element %s, want <Op>Response", root.XMLName.Local)
	}
	kids := root.children()
	if len(kids) == 0 || kids[len(kids)-1] != "ResponseMetadata" {
		t.Errorf("%s children %v, want ResponseMetadata last", root.XMLName.Local, kids)
	}
	op := strings.TrimSuffix(root.XMLName.Local, "Response")
	if len(kids) == 2 && kids[0] != op+"Result" {
		t.Errorf("%s children %v, want %sResult", root.XMLName.Local, kids, op)
	}
}

// checkJSONShape checks AWS JSON 1.0: Content-Type, x-amzn-RequestId, and
// errors as {"__type":"com.amazonaws.sqs#Shape","message":...} with the
// legacy code in x-amzn-query-error.
func checkJSONShape(t *testing.T, resp *http.Response, raw []byte) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
		t.Errorf("Content-Type %q, want application/x-amz-json-1.0", ct)
	}
	if resp.Header.Get("X-Amzn-Requestid") == "" {
		t.Errorf("no x-amzn-RequestId header")
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Errorf("body is not a JSON object: %v", err)
		return
	}
	if resp.StatusCode < 400 {
		return
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	if strings.Join(ks, ",") != "__type,message" {
		t.Errorf("error body members %v, want __type and message", ks)
	}
	typ, _ := m["__type"].(string)
	if !strings.HasPrefix(typ, "com.amazonaws.sqs#") && !strings.HasPrefix(typ, "com.amazon.coral.service#") {
		t.Errorf("__type %q, want com.amazonaws.sqs#<Shape>", typ)
	}
	qe := resp.Header.Get("X-Amzn-Query-Error")
	if !strings.HasPrefix(typ, "com.amazonaws.sqs#") {
		return // e.g. UnknownOperationException, outside the SQS model
	}
	if !regexp.MustCompile(`^[A-Za-z.]+;(Sender|Receiver)$`).MatchString(qe) {
		t.Errorf("x-amzn-query-error %q, want <Code>;Sender", qe)
	}
}
