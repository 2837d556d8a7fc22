package snsmsg_test

import (
	"fmt"

	"github.com/herald-dev/herald/internal/snsmsg"
)

func ExampleStringToSign() {
	m := &snsmsg.Message{
		Type:      snsmsg.TypeNotification,
		MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicArn:  "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Message:   "Hello world!",
		Timestamp: "2012-05-02T00:54:06.655Z",
	}
	s, err := snsmsg.StringToSign(m)
	if err != nil {
		panic(err)
	}
	fmt.Print(s)
	// Output:
	// Message
	// Hello world!
	// MessageId
	// 22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324
	// Timestamp
	// 2012-05-02T00:54:06.655Z
	// TopicArn
	// arn:aws:sns:us-west-2:123456789012:MyTopic
	// Type
	// Notification
}

func ExampleMessage_Marshal() {
	m := &snsmsg.Message{
		Type:           snsmsg.TypeNotification,
		MessageId:      "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicArn:       "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Subject:        "Greetings",
		Message:        `{"a":"<b>"}`,
		Timestamp:      "2012-05-02T00:54:06.655Z",
		UnsubscribeURL: "http://localhost:9324/?Action=Unsubscribe&SubscriptionArn=x",
	}
	fmt.Println(string(m.Marshal()))
	// Output:
	// {
	//   "Type" : "Notification",
	//   "MessageId" : "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
	//   "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
	//   "Subject" : "Greetings",
	//   "Message" : "{\"a\":\"<b>\"}",
	//   "Timestamp" : "2012-05-02T00:54:06.655Z",
	//   "UnsubscribeURL" : "http://localhost:9324/?Action=Unsubscribe&SubscriptionArn=x"
	// }
}
