package snsapi

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/snsmsg"
	"github.com/herald-dev/herald/internal/store/memstore"
	"github.com/herald-dev/herald/internal/topic"
)

const testTopic = "arn:aws:sns:us-east-1:000000000000:f"

// newTestHandler returns a handler over in-memory engines with a topic "f",
// a FIFO topic "f.fifo" and a queue "q" subscribed to "f".
func newTestHandler(tb testing.TB) *Handler {
	tb.Helper()
	ctx := context.Background()
	qe, err := queue.Open(ctx, queue.Options{Store: memstore.New()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(qe.Close)
	signer, err := snsmsg.Ephemeral()
	if err != nil {
		tb.Fatal(err)
	}
	te, err := topic.Open(ctx, topic.Options{Queues: qe, Signer: signer, BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(te.Close)
	if _, err := te.CreateTopic(ctx, "f", nil, nil); err != nil {
		tb.Fatal(err)
	}
	if _, err := te.CreateTopic(ctx, "f.fifo", map[string]string{"FifoTopic": "true"}, nil); err != nil {
		tb.Fatal(err)
	}
	if _, err := qe.CreateQueue(ctx, queue.CreateQueueInput{Account: "000000000000", Name: "q"}); err != nil {
		tb.Fatal(err)
	}
	if _, err := te.Subscribe(ctx, testTopic, "sqs", "arn:aws:sqs:us-east-1:000000000000:q", nil, false); err != nil {
		tb.Fatal(err)
	}
	return New(Config{Engine: te})
}

func actionNames() []string {
	var names []string
	for n := range actions {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// checkResponse fails on a server error or a body that SNS clients could
// not parse.
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
		return
	}
	d := xml.NewDecoder(strings.NewReader(rec.Body.String()))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("response is not XML: %v: %q", err, rec.Body.String())
			}
			return
		}
	}
}

// FuzzSNSRequest sends arbitrary forms and JSON bodies to every action.
func FuzzSNSRequest(f *testing.F) {
	h := newTestHandler(f)
	f.Add(uint8(0), false, "Name=t&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=x")
	f.Add(uint8(1), false, "TopicArn="+testTopic+"&Message=hi&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=Number&MessageAttributes.entry.1.Value.StringValue=1e5")
	f.Add(uint8(2), false, "TopicArn="+testTopic+"&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=b")
	f.Add(uint8(3), false, "TopicArn="+testTopic+"&Protocol=sqs&Endpoint=arn:aws:sqs:us-east-1:000000000000:q&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value={\"a\":[{\"numeric\":[\">\",1]}]}")
	f.Add(uint8(4), true, `{"TopicArn":"`+testTopic+`","Message":"{\"default\":\"x\"}","MessageStructure":"json"}`)
	f.Add(uint8(5), true, `{"Name":"x.fifo","Attributes":{"FifoTopic":"true"}}`)
	f.Add(uint8(6), true, `[1,2]`)
	names := actionNames()
	f.Fuzz(func(t *testing.T, which uint8, jsonProto bool, body string) {
		name := names[int(which)%len(names)]
		var req *http.Request
		if jsonProto {
			req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			req.Header.Set("X-Amz-Target", TargetPrefix+name)
		} else {
			req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Action="+name+"&"+body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkResponse(t, rec, jsonProto)
	})
}
