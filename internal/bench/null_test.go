package bench

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/herald-dev/herald/internal/metrics"
)

// nullBroker answers the four calls the broker scenarios make with canned
// JSON that the SDK accepts (right MD5s, right batch ids), doing no work:
// a net/http server with nothing behind it. What the SDK client and it
// cost together is the floor of any broker served by net/http to an SDK
// client on the same machine.
func nullBroker(body string) http.Handler {
	sum := md5.Sum([]byte(body))
	md := hex.EncodeToString(sum[:])
	var send, batch, recv, del strings.Builder
	fmt.Fprintf(&send, `{"MD5OfMessageBody":%q,"MessageId":"5fea7756-0ea4-451a-a703-a558b933e274"}`, md)
	batch.WriteString(`{"Successful":[`)
	recv.WriteString(`{"Messages":[`)
	del.WriteString(`{"Successful":[`)
	for i := range 10 {
		sep := ","
		if i == 9 {
			sep = ""
		}
		fmt.Fprintf(&batch, `{"Id":"%d","MessageId":"5fea7756-0ea4-451a-a703-a558b933e27%d","MD5OfMessageBody":%q}%s`, i, i, md, sep)
		fmt.Fprintf(&recv, `{"MessageId":"5fea7756-0ea4-451a-a703-a558b933e27%d","ReceiptHandle":"AQEB%dnullbrokerhandle","MD5OfBody":%q,"Body":%q}%s`, i, i, md, body, sep)
		fmt.Fprintf(&del, `{"Id":"%d"}%s`, i, sep)
	}
	batch.WriteString(`],"Failed":[]}`)
	recv.WriteString(`]}`)
	del.WriteString(`],"Failed":[]}`)
	answers := map[string][]byte{
		"AmazonSQS.SendMessage":        []byte(send.String()),
		"AmazonSQS.SendMessageBatch":   []byte(batch.String()),
		"AmazonSQS.ReceiveMessage":     []byte(recv.String()),
		"AmazonSQS.DeleteMessageBatch": []byte(del.String()),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		a, ok := answers[r.Header.Get("X-Amz-Target")]
		if !ok {
			http.Error(w, "not a call of the null broker", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("Content-Length", strconv.Itoa(len(a)))
		_, _ = w.Write(a)
	})
}

// BenchmarkNullBroker measures the SDK client against nullBroker with 16
// concurrent clients, as the broker scenarios run: msgs/s and the CPU of
// the whole process (client and null server) per message. On a machine
// whose cores the benchmark shares with the broker, cores ÷ that CPU is the
// most any net/http broker could reach.
//
//	go test -run '^$' -bench BenchmarkNullBroker -benchtime 5s ./internal/bench
func BenchmarkNullBroker(b *testing.B) {
	body := makeBody(256)
	srv := httptest.NewServer(nullBroker(body))
	defer srv.Close()
	client, closeIdle := NewClient(srv.URL, 16)
	defer closeIdle()
	url := aws.String(srv.URL + "/000000000000/null")
	entries := make([]types.SendMessageBatchRequestEntry, 10)
	for i := range entries {
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(body)}
	}
	calls := []struct {
		name string
		msgs int
		call func(ctx context.Context) error
	}{
		{"send", 1, func(ctx context.Context) error {
			_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String(body)})
			return err
		}},
		{"batch-send", 10, func(ctx context.Context) error {
			_, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries})
			return err
		}},
		{"receive-delete", 10, func(ctx context.Context) error {
			out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil {
				return err
			}
			del := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
			for i, m := range out.Messages {
				del[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
			}
			if len(del) != 10 {
				return fmt.Errorf("received %d messages", len(del))
			}
			_, err = client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: del})
			return err
		}},
	}
	for _, c := range calls {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			var next atomic.Int64
			var failed atomic.Value
			cpu0, _ := metrics.ProcessCPU()
			start := time.Now()
			b.ResetTimer()
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						if err := c.call(ctx); err != nil {
							failed.Store(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
			cpu, _ := metrics.ProcessCPU()
			msgs := float64(b.N * c.msgs)
			b.ReportMetric(msgs/time.Since(start).Seconds(), "msgs/s")
			b.ReportMetric(float64(cpu-cpu0)/float64(time.Microsecond)/msgs, "cpu-µs/msg")
		})
	}
}
