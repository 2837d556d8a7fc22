package sqsapi

import (
	"encoding/json"
	"reflect"
	"testing"
)

var fastJSONSeeds = []string{
	// What the AWS SDK for Go v2 sends.
	`{"MessageBody":"hello","QueueUrl":"http://localhost:9324/000000000000/q"}`,
	`{"DelaySeconds":5,"MessageBody":"x","MessageDeduplicationId":"d","MessageGroupId":"g","QueueUrl":"u"}`,
	`{"Entries":[{"Id":"0","MessageBody":"a"},{"Id":"1","MessageBody":"b","DelaySeconds":0}],"QueueUrl":"u"}`,
	`{"MaxNumberOfMessages":10,"QueueUrl":"u","WaitTimeSeconds":1}`,
	`{"AttributeNames":["All"],"MessageAttributeNames":["All"],"MessageSystemAttributeNames":[],"MaxNumberOfMessages":10,"QueueUrl":"u","VisibilityTimeout":30,"ReceiveRequestAttemptId":"a"}`,
	`{"Entries":[{"Id":"d0","ReceiptHandle":"AQAAAAAAAAABAAAAAAAAAAEAAAABQk"}],"QueueUrl":"u"}`,
	`{"QueueUrl":"u","ReceiptHandle":"h"}`,
	` { "QueueUrl" : "u" , "MessageBody" : "a\"b\\c\/d\n\r\t\b\f" } `,
	`{"Entries":[],"QueueUrl":"u"}`,
	`{}`,
	`{"DelaySeconds":-0}`,
	`{"MaxNumberOfMessages":-3}`,
	`{"MessageBody":"é"}`,
	// Outside the subset, or invalid: encoding/json decides.
	`{"MessageBody":"\u00e9","QueueUrl":"u"}`,
	`{"messagebody":"x"}`,
	`{"MessageBody":null}`,
	`{"MessageBody":"a","MessageBody":"b"}`,
	`{"DelaySeconds":1.5}`,
	`{"DelaySeconds":1e3}`,
	`{"DelaySeconds":01}`,
	`{"DelaySeconds":"5"}`,
	`{"DelaySeconds":99999999999999999999}`,
	`{"MessageBody":"x",}`,
	`{"Entries":[{"Id":"a"},]}`,
	`{"MessageBody":"x"} x`,
	`{"MessageBody":"x"}{}`,
	`{"MessageBody":"\xff"}`,
	`{"MessageAttributes":{"a":{"DataType":"String","StringValue":"v"}},"MessageBody":"x","QueueUrl":"u"}`,
	`{"Unknown":1,"QueueUrl":"u"}`,
	`{"QueueUrl":"u"`,
	`[]`,
	`"x"`,
	`{"Entries":[{"Id":"0","MessageBody":"a","Id":"1"}]}`,
	`{"AttributeNames":["All",null]}`,
	`{"QueueUrl":"a	b"}`,
}

// checkFast decodes body with the fast path into a new T and, when the
// fast path takes it, compares the result with encoding/json's.
func checkFast[T any](t *testing.T, body string) bool {
	t.Helper()
	fast := new(T)
	if !decodeJSONFast([]byte(body), fast) {
		return false
	}
	ref := new(T)
	if err := json.Unmarshal([]byte(body), ref); err != nil {
		t.Fatalf("%T: the fast path took %q, which encoding/json refuses: %v", fast, body, err)
	}
	if !reflect.DeepEqual(fast, ref) {
		t.Fatalf("%T: %q decodes to\n%+v, encoding/json to\n%+v", fast, body, fast, ref)
	}
	return true
}

func checkAllFast(t *testing.T, body string) {
	checkFast[SendMessageInput](t, body)
	checkFast[SendMessageBatchInput](t, body)
	checkFast[ReceiveMessageInput](t, body)
	checkFast[DeleteMessageInput](t, body)
	checkFast[DeleteMessageBatchInput](t, body)
}

func TestFastJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range fastJSONSeeds {
		checkAllFast(t, s)
	}
	// The SDK's bodies do take the fast path.
	for _, c := range []struct {
		body string
		fast func(*testing.T, string) bool
	}{
		{fastJSONSeeds[0], checkFast[SendMessageInput]},
		{fastJSONSeeds[1], checkFast[SendMessageInput]},
		{fastJSONSeeds[2], checkFast[SendMessageBatchInput]},
		{fastJSONSeeds[3], checkFast[ReceiveMessageInput]},
		{fastJSONSeeds[4], checkFast[ReceiveMessageInput]},
		{fastJSONSeeds[5], checkFast[DeleteMessageBatchInput]},
		{fastJSONSeeds[6], checkFast[DeleteMessageInput]},
		{fastJSONSeeds[7], checkFast[SendMessageInput]},
		{fastJSONSeeds[8], checkFast[SendMessageBatchInput]},
	} {
		if !c.fast(t, c.body) {
			t.Errorf("the fast path refused %q", c.body)
		}
	}
	// And what it must leave to encoding/json, it does.
	for _, s := range fastJSONSeeds[13:] {
		for _, in := range []any{new(SendMessageInput), new(SendMessageBatchInput), new(ReceiveMessageInput), new(DeleteMessageInput), new(DeleteMessageBatchInput)} {
			if decodeJSONFast([]byte(s), in) {
				t.Errorf("the fast path took %q into %T", s, in)
			}
		}
	}
}

func FuzzFastJSON(f *testing.F) {
	for _, s := range fastJSONSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		checkAllFast(t, body)
	})
}
