package snsapi

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func do(h http.Handler, form string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var requestIDRE = regexp.MustCompile(`<RequestId>[0-9a-f-]{36}</RequestId>`)

func TestQueryShapes(t *testing.T) {
	h := newTestHandler(t)
	tests := []struct {
		name, form string
		status     int
		want       string
	}{
		{"CreateTopic", "Action=CreateTopic&Version=2010-03-31&Name=shape", 200,
			`<CreateTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><CreateTopicResult><TopicArn>arn:aws:sns:us-east-1:000000000000:shape</TopicArn></CreateTopicResult><ResponseMetadata><RequestId></RequestId></ResponseMetadata></CreateTopicResponse>`},
		{"DeleteTopic", "Action=DeleteTopic&TopicArn=arn:aws:sns:us-east-1:000000000000:shape", 200,
			`<DeleteTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ResponseMetadata><RequestId></RequestId></ResponseMetadata></DeleteTopicResponse>`},
		{"NotFound", "Action=GetTopicAttributes&TopicArn=arn:aws:sns:us-east-1:000000000000:nope", 404,
			`<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId></RequestId></ErrorResponse>`},
		{"ShortArn", "Action=GetTopicAttributes&TopicArn=arn:aws:sns", 400,
			`<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 3</Message></Error><RequestId></RequestId></ErrorResponse>`},
		{"UnknownAction", "Action=Frobnicate", 400,
			`<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>The action Frobnicate is not valid for this web service.</Message></Error><RequestId></RequestId></ErrorResponse>`},
		{"ListSubscriptionsByTopic", "Action=ListSubscriptionsByTopic&TopicArn=" + testTopic, 200, `<Subscriptions><member><SubscriptionArn>arn:aws:sns:us-east-1:000000000000:f:`},
		{"PublishBatchFailure", "Action=PublishBatch&TopicArn=" + testTopic + "&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=", 200,
			`<Successful></Successful><Failed><member><Id>a</Id><Code>InvalidParameter</Code><Message>Invalid parameter: Empty message</Message><SenderFault>true</SenderFault></member></Failed>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(h, tt.form)
			got := requestIDRE.ReplaceAllString(rec.Body.String(), "<RequestId></RequestId>")
			if rec.Code != tt.status || !strings.Contains(got, tt.want) {
				t.Errorf("status %d body\n%s\nwant %d containing\n%s", rec.Code, got, tt.status, tt.want)
			}
			if rec.Header().Get("x-amzn-RequestId") == "" {
				t.Errorf("no x-amzn-RequestId header")
			}
		})
	}
}

func TestJSONErrors(t *testing.T) {
	h := newTestHandler(t)
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"TopicArn":"arn:aws:sns:us-east-1:000000000000:nope","Message":"x"}`))
	req.Header.Set("X-Amz-Target", TargetPrefix+"Publish")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 404 || rec.Header().Get("x-amzn-query-error") != "NotFound;Sender" ||
		rec.Body.String() != `{"__type":"com.amazonaws.sns#NotFoundException","message":"Topic does not exist"}` {
		t.Errorf("status %d, x-amzn-query-error %q, body %s", rec.Code, rec.Header().Get("x-amzn-query-error"), rec.Body.String())
	}
}
