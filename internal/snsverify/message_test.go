package snsverify

import "testing"

// TestStringToSignDocExamples checks the string to sign against the two
// examples on AWS's "Verifying the signatures of Amazon SNS messages" page.
func TestStringToSignDocExamples(t *testing.T) {
	t.Parallel()
	token := "2336412f37fb687f5d51e6e241d09c8058323f60b964268bfe08ce35640228c208a66d3621bd9f7b012918cfdcfe65e153df551f76df58ed147f1245e330ce77ceff06dedab9f051f7028657e6c42750bf64bc9ef711d494e9f7637b86e690779eb5568f72466806b246bd244fa9392b1bc01eeb1c5e420847a745b7aa4b0085"
	subscribeURL := "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P&Token=" + token
	for _, tc := range []struct {
		body, want string
	}{
		{
			body: `{"Type":"Notification","MessageId":"4d4dc071-ddbf-465d-bba8-08f81c89da64",` +
				`"TopicArn":"arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P","Subject":"My subject",` +
				`"Message":"My Test Message","Timestamp":"2012-06-05T04:37:04.321Z","UnsubscribeURL":"u","SequenceNumber":"1"}`,
			want: "Message\nMy Test Message\nMessageId\n4d4dc071-ddbf-465d-bba8-08f81c89da64\nSubject\nMy subject\n" +
				"Timestamp\n2012-06-05T04:37:04.321Z\nTopicArn\narn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\n" +
				"Type\nNotification\n",
		},
		{
			body: `{"Type":"SubscriptionConfirmation","MessageId":"3d891288-136d-417f-bc05-901c108273ee",` +
				`"Token":"` + token + `","TopicArn":"arn:aws:sns:us-west-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P",` +
				`"Message":"My Test Message","SubscribeURL":"` + subscribeURL + `","Timestamp":"2012-06-03T19:25:13.719Z"}`,
			want: "Message\nMy Test Message\nMessageId\n3d891288-136d-417f-bc05-901c108273ee\n" +
				"SubscribeURL\n" + subscribeURL + "\nTimestamp\n2012-06-03T19:25:13.719Z\nToken\n" + token + "\n" +
				"TopicArn\narn:aws:sns:us-west-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\nType\nSubscriptionConfirmation\n",
		},
		{
			// Escapes in the JSON are undone before signing.
			body: `{"Type":"Notification","MessageId":"i","TopicArn":"a","Message":"a\nb \"c\" \u003c\u0026\u003e \\ \u00e9",` +
				`"Timestamp":"t"}`,
			want: "Message\na\nb \"c\" <&> \\ é\nMessageId\ni\nTimestamp\nt\nTopicArn\na\nType\nNotification\n",
		},
	} {
		e, err := parse([]byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if got := e.stringToSign(); got != tc.want {
			t.Errorf("string to sign:\n%q\nwant\n%q", got, tc.want)
		}
	}
}
