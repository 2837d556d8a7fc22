package bench

// Go benchmarks that run the broker in-process, so that a CPU profile sees
// both sides: the server has no pprof endpoint. Three layers, to tell where
// the time goes:
//
//	go test ./internal/bench -run XXX -bench 'Engine' -cpuprofile cpu.out  # queue engine only
//	go test ./internal/bench -run XXX -bench 'RawHTTP' -cpuprofile cpu.out # + HTTP + JSON, plain client
//	go test ./internal/bench -run XXX -bench 'SDK' -cpuprofile cpu.out     # + AWS SDK client (signing, MD5 checks)
//
// then: go tool pprof -top -focus 'herald/internal/(sqsapi|queue|server)' bench.test cpu.out

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/herald-dev/herald/internal/queue"
)

// reportStore adds the store's own metrics to a benchmark's result, when
// the store has any (see profile_sqlite_test.go).
var reportStore = func(*testing.B) {}

// benchQueue creates a queue on e.
func benchQueue(b *testing.B, e *queue.Engine, name string) *queue.Queue {
	b.Helper()
	q, err := e.CreateQueue(context.Background(), queue.CreateQueueInput{Account: "000000000000", Name: name})
	if err != nil {
		b.Fatal(err)
	}
	return q
}

// BenchmarkEngineSend is the engine's cost of one message, no HTTP.
func BenchmarkEngineSend(b *testing.B) {
	_, e := startServer(b)
	q := benchQueue(b, e, "engine-send")
	body := makeBody(256)
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.Send(context.Background(), q, queue.SendInput{Body: body, HasBody: true}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportStore(b)
}

// BenchmarkEngineReceiveDelete is the engine's cost of receiving and
// deleting 10 messages, no HTTP. b.N counts cycles of up to 10.
func BenchmarkEngineReceiveDelete(b *testing.B) {
	_, e := startServer(b)
	q := benchQueue(b, e, "engine-rd")
	ctx := context.Background()
	ins := make([]queue.SendInput, 10)
	for i := range ins {
		ins[i] = queue.SendInput{Body: makeBody(256), HasBody: true}
	}
	for range b.N + 8 {
		if _, _, err := e.SendBatch(ctx, q, ins); err != nil {
			b.Fatal(err)
		}
	}
	zero := int64(0)
	b.ResetTimer()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			got, err := e.Receive(ctx, q, queue.ReceiveInput{Max: 10, WaitTimeSeconds: &zero})
			if err != nil {
				b.Error(err)
				return
			}
			handles := make([]string, len(got))
			for i := range got {
				handles[i] = got[i].ReceiptHandle
			}
			if _, err := e.DeleteBatch(ctx, q, handles); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportStore(b)
}

// rawPost sends one AWS JSON 1.0 request without the SDK (the server does
// not check signatures), so that the client's own cost stays small.
func rawPost(c *http.Client, url, target, body string) error {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS."+target)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", target, resp.StatusCode)
	}
	return nil
}

// BenchmarkRawHTTPSend is one SendMessage through the server's HTTP and
// JSON layers with a plain net/http client.
func BenchmarkRawHTTPSend(b *testing.B) {
	url, e := startServer(b)
	benchQueue(b, e, "raw-send")
	qurl := url + "/000000000000/raw-send"
	body := fmt.Sprintf(`{"QueueUrl":%q,"MessageBody":%q}`, qurl, makeBody(256))
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := rawPost(c, url, "SendMessage", body); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportStore(b)
}

// BenchmarkRawHTTPSendBatch is one SendMessageBatch of 10 through HTTP and
// JSON with a plain client. b.N counts calls.
func BenchmarkRawHTTPSendBatch(b *testing.B) {
	url, e := startServer(b)
	benchQueue(b, e, "raw-batch")
	qurl := url + "/000000000000/raw-batch"
	var entries []string
	for i := range 10 {
		entries = append(entries, fmt.Sprintf(`{"Id":"%d","MessageBody":%q}`, i, makeBody(256)))
	}
	body := fmt.Sprintf(`{"QueueUrl":%q,"Entries":[%s]}`, qurl, strings.Join(entries, ","))
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := rawPost(c, url, "SendMessageBatch", body); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportStore(b)
}

// BenchmarkSDKSend is one SendMessage through the AWS SDK client, as
// "herald bench" sends it.
func BenchmarkSDKSend(b *testing.B) {
	url, _ := startServer(b)
	c, closeIdle := NewClient(url, 64)
	defer closeIdle()
	ctx := context.Background()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("sdk-send")})
	if err != nil {
		b.Fatal(err)
	}
	body := makeBody(256)
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: &body}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportStore(b)
}

// BenchmarkSDKSendBatch is one SendMessageBatch of 10 through the SDK
// client. b.N counts calls.
func BenchmarkSDKSendBatch(b *testing.B) {
	url, _ := startServer(b)
	c, closeIdle := NewClient(url, 64)
	defer closeIdle()
	ctx := context.Background()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("sdk-batch")})
	if err != nil {
		b.Fatal(err)
	}
	entries := make([]types.SendMessageBatchRequestEntry, 10)
	for i := range entries {
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(makeBody(256))}
	}
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: out.QueueUrl, Entries: entries}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportStore(b)
}

// BenchmarkEnginePacedSend sends b.N messages to the engine alone, open
// loop at 1,000 msgs/s, and reports the latency percentiles from each
// message's due time: the broker's share of the latency scenario, without
// HTTP or the SDK. With -tags sqlitebench it shows the durable store's
// commit stalls.
func BenchmarkEnginePacedSend(b *testing.B) {
	_, e := startServer(b)
	q := benchQueue(b, e, "engine-paced")
	body := makeBody(256)
	const rate = 1000
	h := NewHistogram()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for i := range b.N {
		due := start.Add(time.Duration(i) * time.Second / rate)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			if _, err := e.Send(context.Background(), q, queue.SendInput{Body: body, HasBody: true}); err != nil {
				b.Error(err)
			}
			d := time.Since(due)
			mu.Lock()
			h.Record(d)
			mu.Unlock()
		})
	}
	wg.Wait()
	b.ReportMetric(float64(h.Percentile(50))/1e6, "p50-ms")
	b.ReportMetric(float64(h.Percentile(99))/1e6, "p99-ms")
	b.ReportMetric(float64(h.Max())/1e6, "max-ms")
	reportStore(b)
}
