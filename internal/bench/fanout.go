package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// FanoutQueues is how many SQS queues the fanout scenario subscribes.
const FanoutQueues = 10

// fanout measures SNS fan-out: one topic, FanoutQueues SQS subscriptions
// (enveloped and signed, as SNS delivers by default, or raw with
// --raw-delivery), Concurrency closed-loop
// publishers, and two receive+delete workers per queue. Each message
// carries its publish time; its latency runs from the start of its Publish
// call to its receipt from a queue, one sample per delivery.
func (r *runner) fanout(ctx context.Context) (*Result, error) {
	o := r.client.Options()
	snsc := sns.New(sns.Options{Region: o.Region, BaseEndpoint: o.BaseEndpoint, Credentials: o.Credentials, HTTPClient: o.HTTPClient, Retryer: aws.NopRetryer{}})
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(r.cfg.QueuePrefix + "-fanout-" + stamp)})
	if err != nil {
		return nil, fmt.Errorf("create topic: %w", err)
	}
	topicArn := aws.ToString(topic.TopicArn)
	var urls []string
	cleanup := func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = snsc.DeleteTopic(dctx, &sns.DeleteTopicInput{TopicArn: aws.String(topicArn)})
		for _, u := range urls {
			_, _ = r.client.DeleteQueue(dctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(u)})
		}
	}
	defer cleanup()
	for i := range FanoutQueues {
		name := fmt.Sprintf("%s-fanout-%s-%d", r.cfg.QueuePrefix, stamp, i)
		q, err := r.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		if err != nil {
			return nil, fmt.Errorf("create queue %s: %w", name, err)
		}
		urls = append(urls, aws.ToString(q.QueueUrl))
		qa, err := r.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
		if err != nil {
			return nil, err
		}
		// As on AWS, a queue takes SNS deliveries only if its policy allows
		// the topic to send.
		policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},`+
			`"Action":"sqs:SendMessage","Resource":%q,"Condition":{"ArnEquals":{"aws:SourceArn":%q}}}]}`, qa.Attributes["QueueArn"], topicArn)
		if _, err := r.client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q.QueueUrl, Attributes: map[string]string{"Policy": policy}}); err != nil {
			return nil, fmt.Errorf("set policy of %s: %w", name, err)
		}
		var attrs map[string]string
		if r.cfg.RawDelivery {
			attrs = map[string]string{"RawMessageDelivery": "true"}
		}
		if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topicArn), Protocol: aws.String("sqs"),
			Endpoint: aws.String(qa.Attributes["QueueArn"]), Attributes: attrs}); err != nil {
			return nil, fmt.Errorf("subscribe %s: %w", name, err)
		}
	}

	// Receivers run until the publishers are done and the queues drained.
	var (
		delivered atomic.Int64
		pubDone   atomic.Bool
		hmu       sync.Mutex
		hist      = NewHistogram()
		rwg       sync.WaitGroup
		rerrs     = newErrorLog(r.progress, ScenarioFanout)
	)
	rctx, rcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer rcancel()
	for _, u := range urls {
		for range 2 {
			rwg.Go(func() {
				h := NewHistogram()
				defer func() {
					hmu.Lock()
					hist.Merge(h)
					hmu.Unlock()
				}()
				for rctx.Err() == nil {
					out, err := r.client.ReceiveMessage(rctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(u), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
					if err != nil {
						if rctx.Err() == nil {
							rerrs.add(err)
						}
						continue
					}
					if len(out.Messages) == 0 {
						if pubDone.Load() {
							return
						}
						continue
					}
					now := time.Now()
					entries := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
					for i, m := range out.Messages {
						if sent, ok := publishTime(aws.ToString(m.Body)); ok {
							h.Record(now.Sub(sent))
						}
						entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
					}
					delivered.Add(int64(len(out.Messages)))
					if _, err := r.client.DeleteMessageBatch(rctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(u), Entries: entries}); err != nil && rctx.Err() == nil {
						rerrs.add(err)
					}
				}
			})
		}
	}

	pad := r.body
	cpu0 := r.cpuNow(ctx)
	lr := r.closedLoop(ctx, ScenarioFanout, r.cfg.Concurrency, r.cfg.Duration, func(ctx context.Context, _ int) outcome {
		msg := strconv.FormatInt(time.Now().UnixNano(), 10) + " " + pad
		if len(msg) > len(pad) && len(pad) > 0 {
			msg = msg[:len(pad)]
		}
		_, err := snsc.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicArn), Message: aws.String(msg)})
		if err != nil {
			return outcome{err: err}
		}
		return outcome{msgs: 1}
	})
	pubDone.Store(true)
	// Give the receivers up to 30 s to drain what was published.
	want := lr.msgs * FanoutQueues
	deadline := time.Now().Add(30 * time.Second)
	for delivered.Load() < want && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	rcancel()
	rwg.Wait()
	// The CPU of a publish includes its deliveries' receipt, until drained.
	lr.cpu = r.cpuNow(context.WithoutCancel(ctx)).since(cpu0)
	res := fromLoop(ScenarioFanout, r.cfg.Concurrency, lr)
	res.Latency = hist
	res.LatencyOf = "delivery, from Publish to ReceiveMessage"
	res.Deliveries = delivered.Load()
	res.Subscriptions = FanoutQueues
	res.Raw = r.cfg.RawDelivery
	res.Errors += rerrs.count.Load()
	res.ErrorSamples = append(res.ErrorSamples, rerrs.samples()...)
	res.Queue = topicArn
	return res, nil
}

// publishTime reads the publish time from a delivered message: the first
// field of the published text, which an SNS envelope carries as "Message".
func publishTime(body string) (time.Time, bool) {
	text := body
	if strings.HasPrefix(body, "{") {
		var env struct{ Message string }
		if json.Unmarshal([]byte(body), &env) != nil {
			return time.Time{}, false
		}
		text = env.Message
	}
	f, _, _ := strings.Cut(text, " ")
	n, err := strconv.ParseInt(f, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, n), true
}
