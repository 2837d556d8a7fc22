package test

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestQueueAttributesDefaults(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	before := time.Now().Unix()

	t.Run("standard", func(t *testing.T) {
		t.Parallel()
		name := uniq(t, "attr")
		url := createQueue(t, c, name)
		got := queueAttrs(t, c, url)
		want := map[string]string{
			"ApproximateNumberOfMessages":           "0",
			"ApproximateNumberOfMessagesDelayed":    "0",
			"ApproximateNumberOfMessagesNotVisible": "0",
			"DelaySeconds":                          "0",
			"MaximumMessageSize":                    "1048576",
			"MessageRetentionPeriod":                "345600",
			"QueueArn":                              "arn:aws:sqs:" + testRegion + ":" + testAccount + ":" + name,
			"ReceiveMessageWaitTimeSeconds":         "0",
			"SqsManagedSseEnabled":                  "true",
			"VisibilityTimeout":                     "30",
			"CreatedTimestamp":                      "",
			"LastModifiedTimestamp":                 "",
		}
		checkAttrs(t, got, want, before)
	})

	t.Run("fifo", func(t *testing.T) {
		t.Parallel()
		name := uniq(t, "attr") + ".fifo"
		url := createQueue(t, c, name, "FifoQueue", "true")
		got := queueAttrs(t, c, url)
		want := map[string]string{
			"ApproximateNumberOfMessages":           "0",
			"ApproximateNumberOfMessagesDelayed":    "0",
			"ApproximateNumberOfMessagesNotVisible": "0",
			"ContentBasedDeduplication":             "false",
			"DeduplicationScope":                    "queue",
			"DelaySeconds":                          "0",
			"FifoQueue":                             "true",
			"FifoThroughputLimit":                   "perQueue",
			"MaximumMessageSize":                    "1048576",
			"MessageRetentionPeriod":                "345600",
			"QueueArn":                              "arn:aws:sqs:" + testRegion + ":" + testAccount + ":" + name,
			"ReceiveMessageWaitTimeSeconds":         "0",
			"SqsManagedSseEnabled":                  "true",
			"VisibilityTimeout":                     "30",
			"CreatedTimestamp":                      "",
			"LastModifiedTimestamp":                 "",
		}
		checkAttrs(t, got, want, before)
	})

	t.Run("no names means no attributes", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, uniq(t, "attr"))
		out, err := c.GetQueueAttributes(ctxT(t), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Attributes) != 0 {
			t.Errorf("GetQueueAttributes without names = %v, want none", out.Attributes)
		}
	})

	t.Run("selected names", func(t *testing.T) {
		t.Parallel()
		url := createQueue(t, c, uniq(t, "attr"))
		got := queueAttrs(t, c, url, types.QueueAttributeNameVisibilityTimeout, types.QueueAttributeNameDelaySeconds)
		if strings.Join(keys(got), ",") != "DelaySeconds,VisibilityTimeout" {
			t.Errorf("got %v, want DelaySeconds and VisibilityTimeout only", got)
		}
	})
}

// checkAttrs compares got with want; an empty wanted value is a timestamp
// in epoch seconds, not before before.
func checkAttrs(t *testing.T, got, want map[string]string, before int64) {
	t.Helper()
	if strings.Join(keys(got), ",") != strings.Join(keys(want), ",") {
		t.Errorf("attribute names:\n got %v\nwant %v", keys(got), keys(want))
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			continue
		}
		if w == "" {
			n, err := strconv.ParseInt(g, 10, 64)
			if err != nil || n < before-1 || n > time.Now().Unix()+1 {
				t.Errorf("%s = %q, want epoch seconds near %d", k, g, before)
			}
			continue
		}
		if g != w {
			t.Errorf("%s = %q, want %q", k, g, w)
		}
	}
}

func TestSetQueueAttributesLimits(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createQueue(t, c, uniq(t, "limits"))
	cases := []struct {
		attr string
		ok   []string
		bad  []string
	}{
		{"DelaySeconds", []string{"0", "900"}, []string{"-1", "901", "abc", "1.5"}},
		{"MaximumMessageSize", []string{"1024", "1048576"}, []string{"1023", "1048577"}},
		{"MessageRetentionPeriod", []string{"60", "1209600"}, []string{"59", "1209601"}},
		{"ReceiveMessageWaitTimeSeconds", []string{"0", "20"}, []string{"-1", "21"}},
		{"VisibilityTimeout", []string{"0", "43200"}, []string{"-1", "43201"}},
		{"KmsDataKeyReusePeriodSeconds", []string{"60", "86400"}, []string{"59", "86401"}},
	}
	for _, tc := range cases {
		for _, v := range tc.ok {
			if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: pairs(tc.attr, v)}); err != nil {
				t.Errorf("Set %s=%q: %v", tc.attr, v, err)
				continue
			}
			if got := queueAttrs(t, c, url, types.QueueAttributeName(tc.attr))[tc.attr]; got != v {
				t.Errorf("after Set %s=%q, Get returns %q", tc.attr, v, got)
			}
		}
		for _, v := range tc.bad {
			t.Run(tc.attr+"="+v, func(t *testing.T) {
				_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: pairs(tc.attr, v)})
				wantErr(t, err, "InvalidAttributeValue", 400, tc.attr)
			})
		}
	}
}

func TestQueueAttributeNameErrors(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	std := createQueue(t, c, uniq(t, "an"))
	fifo := createQueue(t, c, uniq(t, "an")+".fifo", "FifoQueue", "true")

	t.Run("Get unknown name", func(t *testing.T) {
		_, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(std), AttributeNames: []types.QueueAttributeName{"Bogus"}})
		wantErr(t, err, "InvalidAttributeName", 400, "Bogus")
	})
	t.Run("Set unknown name", func(t *testing.T) {
		_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(std), Attributes: pairs("Bogus", "1")})
		wantErr(t, err, "InvalidAttributeName", 400, "Unknown Attribute Bogus")
	})
	t.Run("Set read-only QueueArn", func(t *testing.T) {
		_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(std), Attributes: pairs("QueueArn", "arn:aws:sqs:us-east-1:000000000000:x")})
		wantErr(t, err, "InvalidAttributeName", 400, "")
	})
	t.Run("Set FifoQueue on a standard queue", func(t *testing.T) {
		_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(std), Attributes: pairs("FifoQueue", "true")})
		wantErr(t, err, "InvalidAttributeName", 400, "Unknown Attribute FifoQueue.")
	})
	t.Run("Set FifoQueue=true on a FIFO queue", func(t *testing.T) {
		if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(fifo), Attributes: pairs("FifoQueue", "true")}); err != nil {
			t.Errorf("setting the same FifoQueue value: %v, want success", err)
		}
	})
	t.Run("Set FifoQueue=false on a FIFO queue", func(t *testing.T) {
		_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(fifo), Attributes: pairs("FifoQueue", "false")})
		wantErr(t, err, "InvalidAttributeValue", 400, "Modifying queue type is not supported.")
	})
	for _, a := range []string{"ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"} {
		t.Run("Set "+a+" on a standard queue", func(t *testing.T) {
			v := map[string]string{"ContentBasedDeduplication": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}[a]
			_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(std), Attributes: pairs(a, v)})
			wantErr(t, err, "InvalidAttributeName", 400, "")
		})
	}
	t.Run("Create standard with ContentBasedDeduplication", func(t *testing.T) {
		_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniq(t, "an")), Attributes: pairs("ContentBasedDeduplication", "true")})
		wantErr(t, err, "InvalidAttributeName", 400, "Unknown Attribute ContentBasedDeduplication.")
	})
	t.Run("FIFO enum values", func(t *testing.T) {
		_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(fifo), Attributes: pairs("DeduplicationScope", "nope")})
		wantErr(t, err, "InvalidAttributeValue", 400, "")
		_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(fifo), Attributes: pairs("ContentBasedDeduplication", "maybe")})
		wantErr(t, err, "InvalidAttributeValue", 400, "")
		if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(fifo),
			Attributes: pairs("DeduplicationScope", "messageGroup", "FifoThroughputLimit", "perMessageGroupId", "ContentBasedDeduplication", "true")}); err != nil {
			t.Fatal(err)
		}
		got := queueAttrs(t, c, fifo)
		if got["DeduplicationScope"] != "messageGroup" || got["FifoThroughputLimit"] != "perMessageGroupId" || got["ContentBasedDeduplication"] != "true" {
			t.Errorf("FIFO attributes not stored: %v", got)
		}
	})
}

func TestSetQueueAttributesRoundTrip(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createQueue(t, c, uniq(t, "rt"))
	created := queueAttrs(t, c, url)["LastModifiedTimestamp"]
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}`
	set := pairs("VisibilityTimeout", "5", "DelaySeconds", "1", "ReceiveMessageWaitTimeSeconds", "2",
		"MaximumMessageSize", "2048", "MessageRetentionPeriod", "120", "Policy", policy)
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: set}); err != nil {
		t.Fatal(err)
	}
	got := queueAttrs(t, c, url)
	for k, v := range set {
		if k == "Policy" {
			if !jsonEqual(got[k], v) {
				t.Errorf("Policy = %s, want %s", got[k], v)
			}
			continue
		}
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if got["LastModifiedTimestamp"] < created {
		t.Errorf("LastModifiedTimestamp went back: %s < %s", got["LastModifiedTimestamp"], created)
	}
	// An empty Policy clears it.
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: pairs("Policy", "")}); err != nil {
		t.Fatal(err)
	}
	if p, ok := queueAttrs(t, c, url)["Policy"]; ok {
		t.Errorf("Policy after clearing = %q, want absent", p)
	}
	// A message larger than MaximumMessageSize is refused.
	_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(strings.Repeat("x", 2049))})
	wantErr(t, err, codeInvalidPV, 400, "Message must be shorter than 2048 bytes")
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	c := sharedSQS(t)
	ctx := ctxT(t)
	url := createQueue(t, c, uniq(t, "perm"))
	arn := queueArn(t, c, url)
	add := func(label string, accounts, actions []string) error {
		_, err := c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: aws.String(url), Label: aws.String(label), AWSAccountIds: accounts, Actions: actions})
		return err
	}
	if err := add("send1", []string{"111122223333"}, []string{"SendMessage"}); err != nil {
		t.Fatal(err)
	}
	if err := add("multi", []string{"111122223333", "444455556666"}, []string{"ReceiveMessage", "DeleteMessage"}); err != nil {
		t.Fatal(err)
	}
	type statement struct {
		Sid       string
		Effect    string
		Principal struct{ AWS any }
		Action    any
		Resource  string
	}
	var pol struct {
		Version   string
		Id        string
		Statement []statement
	}
	raw := queueAttrs(t, c, url, types.QueueAttributeNamePolicy)["Policy"]
	if err := json.Unmarshal([]byte(raw), &pol); err != nil {
		t.Fatalf("Policy %q: %v", raw, err)
	}
	if pol.Version != "2008-10-17" || pol.Id != arn+"/SQSDefaultPolicy" {
		t.Errorf("policy Version %q Id %q, want 2008-10-17 and %s/SQSDefaultPolicy", pol.Version, pol.Id, arn)
	}
	bySid := map[string]statement{}
	for _, s := range pol.Statement {
		bySid[s.Sid] = s
	}
	s1, ok := bySid["send1"]
	if !ok {
		t.Fatalf("no statement send1 in %s", raw)
	}
	if s1.Effect != "Allow" || s1.Resource != arn || strList(s1.Action) != "SQS:SendMessage" || strList(s1.Principal.AWS) != "arn:aws:iam::111122223333:root" {
		t.Errorf("statement send1 = %+v", s1)
	}
	s2 := bySid["multi"]
	if strList(s2.Action) != "SQS:DeleteMessage,SQS:ReceiveMessage" || strList(s2.Principal.AWS) != "arn:aws:iam::111122223333:root,arn:aws:iam::444455556666:root" {
		t.Errorf("statement multi = %+v", s2)
	}

	err := add("send1", []string{"111122223333"}, []string{"SendMessage"})
	wantErr(t, err, codeInvalidPV, 400, "Value send1 for parameter Label is invalid. Reason: Already exists.")

	if _, err := c.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: aws.String(url), Label: aws.String("send1")}); err != nil {
		t.Fatal(err)
	}
	raw = queueAttrs(t, c, url, types.QueueAttributeNamePolicy)["Policy"]
	if strings.Contains(raw, `"send1"`) || !strings.Contains(raw, `"multi"`) {
		t.Errorf("after RemovePermission send1, Policy = %s", raw)
	}
	_, err = c.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: aws.String(url), Label: aws.String("send1")})
	wantErr(t, err, codeInvalidPV, 400, "Value send1 for parameter Label is invalid. Reason: can't find label.")
}

// strList renders a JSON string or array of strings, sorted, comma-joined.
func strList(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var ss []string
		for _, e := range x {
			s, _ := e.(string)
			ss = append(ss, s)
		}
		sort.Strings(ss)
		return strings.Join(ss, ",")
	}
	return ""
}
