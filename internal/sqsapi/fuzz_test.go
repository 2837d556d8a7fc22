package sqsapi

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/memstore"
)

func actionNames() []string {
	names := make([]string, 0, len(actions))
	for n := range actions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FuzzQueryDecode feeds arbitrary forms to the Query decoder of every action.
func FuzzQueryDecode(f *testing.F) {
	f.Add("Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=10&QueueName=a")
	f.Add("MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=Binary&MessageAttribute.1.Value.BinaryValue=AAE%3D")
	f.Add("SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=b&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=x")
	f.Add("AttributeName.1=All&AttributeName.99999999999999999999=x&MaxNumberOfMessages=abc")
	f.Add("Tag.1.Key=k&Tag.1.Value=v&TagKey.1=k&AWSAccountId.0=1&ActionName.-1=x")
	f.Fuzz(func(t *testing.T, form string) {
		vals, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		for _, name := range actionNames() {
			in := actions[name].newInput()
			_ = decodeQuery(vals, in)
		}
	})
}

func fuzzHandler(t testing.TB) http.Handler {
	e, err := queue.Open(context.Background(), queue.Options{Store: memstore.New()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	h := New(Config{Engine: e})
	// A queue to aim at, so that requests get past the lookup.
	if _, err := e.CreateQueue(context.Background(), queue.CreateQueueInput{Account: "000000000000", Name: "f"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateQueue(context.Background(), queue.CreateQueueInput{Account: "000000000000", Name: "f.fifo", Attributes: map[string]string{"FifoQueue": "true"}}); err != nil {
		t.Fatal(err)
	}
	return h
}

// checkResponse fails on a server error or a body the protocol's clients
// could not parse.
func checkResponse(t *testing.T, rec *httptest.ResponseRecorder, jsonProto bool) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	if jsonProto {
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("response is not JSON: %v: %q", err, rec.Body.String())
		}
		if rec.Code >= 400 && (v["__type"] == nil || rec.Header().Get("x-amzn-query-error") == "") {
			t.Fatalf("error without __type or x-amzn-query-error: %q", rec.Body.String())
		}
		return
	}
	d := xml.NewDecoder(strings.NewReader(rec.Body.String()))
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("response is not XML: %v: %q", err, rec.Body.String())
			}
			return
		}
	}
}

// withShortPoll bounds long polls that fuzzed inputs may ask for.
func withShortPoll(r *http.Request) *http.Request {
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Millisecond)
	_ = cancel // released when the deadline passes
	return r.WithContext(ctx)
}

// FuzzJSONRequest sends arbitrary JSON bodies to every action.
func FuzzJSONRequest(f *testing.F) {
	h := fuzzHandler(f)
	f.Add(uint8(0), `{"QueueName":"x","Attributes":{"FifoQueue":"true"}}`)
	f.Add(uint8(1), `{"QueueUrl":"http://h/000000000000/f","MessageBody":"hi","MessageAttributes":{"a":{"DataType":"Binary","BinaryValue":"AAE="}}}`)
	f.Add(uint8(2), `{"QueueUrl":"/000000000000/f.fifo","Entries":[{"Id":"a","MessageBody":"b","MessageGroupId":"g"}]}`)
	f.Add(uint8(3), `{"QueueUrl":"/000000000000/f","MaxNumberOfMessages":10,"WaitTimeSeconds":0}`)
	f.Add(uint8(4), `{"QueueUrl":"/000000000000/f","ReceiptHandle":"AQAAAAAAAAABAAAAAAAAAAEAAAAB"}`)
	f.Add(uint8(5), `[1,2,3]`)
	names := actionNames()
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		name := names[int(which)%len(names)]
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req = withShortPoll(req)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "AmazonSQS."+name)
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%s took %v", name, d)
		}
		checkResponse(t, rec, true)
	})
}

// FuzzQueryRequest sends arbitrary forms to every action.
func FuzzQueryRequest(f *testing.F) {
	h := fuzzHandler(f)
	f.Add(uint8(0), "QueueName=q&Attribute.1.Name=DelaySeconds&Attribute.1.Value=5")
	f.Add(uint8(1), "QueueUrl=/000000000000/f&MessageBody=x&MessageAttribute.1.Name=n&MessageAttribute.1.Value.DataType=Number&MessageAttribute.1.Value.StringValue=1e5")
	f.Add(uint8(2), "QueueUrl=/000000000000/f&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=b")
	f.Add(uint8(3), "QueueUrl=/000000000000/f&AttributeName.1=All")
	names := actionNames()
	f.Fuzz(func(t *testing.T, which uint8, form string) {
		name := names[int(which)%len(names)]
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Action="+name+"&"+form))
		req = withShortPoll(req)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%s took %v", name, d)
		}
		checkResponse(t, rec, false)
	})
}
