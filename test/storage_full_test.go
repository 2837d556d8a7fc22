package test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

// A full store (here: the --max-store-bytes cap, which fails writes the
// way a full disk does) refuses sends with a 5xx and loses nothing it
// acknowledged; deletes free room and sends succeed again; a kill -9
// afterwards keeps exactly the acknowledged messages.
func TestStorageFullRefusesThenRecovers(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--max-store-bytes", "1048576")
	c := newSQS(s)
	ctx := ctxT(t)
	url := createQueue(t, c, uniq(t, "full"))
	body := strings.Repeat("x", 8000)
	acked := 0
	var fullErr error
	for i := 0; i < 2000 && fullErr == nil; i++ {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprintf("%05d%s", i, body))})
		if err != nil {
			fullErr = err
			break
		}
		acked++
	}
	var ae smithy.APIError
	if !errors.As(fullErr, &ae) || ae.ErrorCode() != "ServiceUnavailable" || httpStatus(fullErr) != 503 {
		t.Fatalf("after %d sends: %v, want ServiceUnavailable 503", acked, fullErr)
	}
	t.Logf("full after %d acknowledged sends of 8 KB: %s", acked, ae.ErrorMessage())

	// Deletes free room.
	deleted := 0
	for deleted < acked/2 {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 300})
		if err != nil {
			t.Fatalf("receive while full: %v", err)
		}
		for _, m := range out.Messages {
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("delete while full: %v", err)
			}
			deleted++
		}
	}
	var err error
	for i := 0; i < 50; i++ { // room is reused once a checkpoint has freed the pages
		if _, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("after" + body)}); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("send after deletes freed room: %v", err)
	}
	acked++

	s.restart(t)
	c = newSQS(s)
	attrs := queueAttrs(t, c, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
	visible := atoiT(t, attrs["ApproximateNumberOfMessages"]) + atoiT(t, attrs["ApproximateNumberOfMessagesNotVisible"])
	if visible != acked-deleted {
		t.Errorf("after kill -9: %d messages, want %d (acknowledged %d, deleted %d)", visible, acked-deleted, acked, deleted)
	}
}

func atoiT(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}
