package deliver

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/herald-dev/herald/internal/brokertest"
	"github.com/herald-dev/herald/publisher/format"
	"github.com/herald-dev/herald/publisher/subscription"
)

func TestSendMixedJobsIndexForIndex(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	q1 := b.CreateQueue(t, "one", nil)
	q2 := b.CreateQueue(t, "two", nil)
	arn, tq := topicWithQueue(t, b, "topic", false)
	kc := kafkaCluster(t, kfake.SeedTopics(1, "k"))
	sec := newSecret(t)
	srv, hooks := endpoint(t, sec, status(http.StatusAccepted))
	gone, _ := endpoint(t, sec, status(http.StatusGone))
	d := newDispatcher(t, b, Config{})

	type want struct {
		ok     bool
		detail string // prefix of a success's Detail
	}
	var jobs []*Job
	var wants []want
	add := func(dst subscription.Destination, body string, w want) {
		jobs = append(jobs, &Job{ID: fmt.Sprintf("evt-%d", len(jobs)), Destination: dst, Message: msg(body, map[string]string{"i": fmt.Sprint(len(jobs))}), Key: "key"})
		wants = append(wants, w)
	}
	for i := range 30 {
		switch i % 6 {
		case 0:
			add(sqsDest(q1), fmt.Sprintf("q1-%d", i), want{ok: true})
		case 1:
			add(sqsDest(q2), fmt.Sprintf("q2-%d", i), want{ok: true})
		case 2:
			add(snsDest(arn), fmt.Sprintf("sns-%d", i), want{ok: true})
		case 3:
			add(httpsDest(srv.URL, sec), fmt.Sprintf("https-%d", i), want{ok: true, detail: "HTTP 202"})
		case 4:
			add(kafkaDest(kc, "k"), fmt.Sprintf("kafka-%d", i), want{ok: true, detail: "partition 0 offset "})
		case 5:
			add(httpsDest(gone.URL, sec), "gone", want{})
		}
	}
	add(sqsDest(q1), "nul \u0000", want{})
	jobs = append(jobs, nil, &Job{ID: "nomsg", Destination: sqsDest(q1)}, &Job{ID: "type", Destination: subscription.Destination{Type: "smtp"}, Message: msg("x", nil)})
	wants = append(wants, want{}, want{}, want{})

	res := d.Send(testCtx(t), jobs)
	if len(res) != len(jobs) {
		t.Fatalf("%d results for %d jobs", len(res), len(jobs))
	}
	for i, r := range res {
		w := wants[i]
		if w.ok != (r.Err == nil) {
			t.Errorf("job %d: got %+v, want success %v", i, r, w.ok)
			continue
		}
		if w.ok && !strings.HasPrefix(r.Detail, w.detail) {
			t.Errorf("job %d: detail %q, want prefix %q", i, r.Detail, w.detail)
		}
		if !w.ok {
			if e := asError(t, r); !e.Permanent {
				t.Errorf("job %d: %v, want permanent", i, e)
			}
		}
	}
	// Every body arrived where its job said.
	check := func(name string, got []string, prefix string) {
		t.Helper()
		for _, body := range got {
			if !strings.HasPrefix(body, prefix) {
				t.Errorf("%s received %q", name, body)
			}
		}
	}
	var bodies []string
	for _, m := range receiveAll(t, b.SQS, q1, 5) {
		bodies = append(bodies, *m.Body)
	}
	check("q1", bodies, "q1-")
	bodies = nil
	for _, m := range receiveAll(t, b.SQS, q2, 5) {
		bodies = append(bodies, *m.Body)
	}
	check("q2", bodies, "q2-")
	if n := len(receiveAll(t, b.SQS, tq, 5)); n != 5 {
		t.Errorf("topic queue: %d", n)
	}
	bodies = nil
	for range 5 {
		h := <-hooks
		if h.verify != nil {
			t.Error(h.verify)
		}
		bodies = append(bodies, string(h.body))
	}
	check("https", bodies, "https-")
	bodies = nil
	for _, r := range consume(t, kc, "k", 5) {
		bodies = append(bodies, string(r.Value))
	}
	check("kafka", bodies, "kafka-")
}

func TestSendAfterClose(t *testing.T) {
	t.Parallel()
	d := newDispatcher(t, nil, Config{})
	d.Close()
	d.Close()
	res := d.Send(testCtx(t), []*Job{{ID: "x", Destination: sqsDest("http://127.0.0.1:1/000000000000/q"), Message: msg("x", nil)}})
	if e := asError(t, res[0]); e.Permanent || !errors.Is(e, ErrClosed) {
		t.Errorf("got %v, want retriable ErrClosed", e)
	}
}

func TestSendRespectsContext(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	q := b.CreateQueue(t, "q", nil)
	d := newDispatcher(t, b, Config{})
	ctx, cancel := contextCanceled()
	defer cancel()
	res := d.Send(ctx, []*Job{
		{ID: "1", Destination: sqsDest(q), Message: msg("x", nil)},
		{ID: "2", Destination: sqsDest(q), Message: msg("y", nil)},
	})
	for i, r := range res {
		if e := asError(t, r); e.Permanent {
			t.Errorf("job %d: %v, want retriable", i, e)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Endpoint: "127.0.0.1:9324"},
		{HTTPSPerHost: -1},
		{MaxAWSRequests: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v): no error", cfg)
		}
	}
}

func TestChunks(t *testing.T) {
	sized := func(sizes ...int) ([]*Job, []int) {
		jobs := make([]*Job, len(sizes))
		idx := make([]int, len(sizes))
		for i, n := range sizes {
			jobs[i] = &Job{Message: &format.Message{Body: make([]byte, n)}}
			idx[i] = i
		}
		return jobs, idx
	}
	for _, tc := range []struct {
		sizes []int
		want  string
	}{
		{[]int{1, 1, 1, 1, 1}, "[[0 1 2] [3 4]]"},
		{[]int{60, 50, 1}, "[[0] [1 2]]"},
		{[]int{1, 200, 1}, "[[0] [1] [2]]"},
		{[]int{100, 100}, "[[0] [1]]"},
	} {
		jobs, idx := sized(tc.sizes...)
		if got := fmt.Sprint(chunks(jobs, idx, 3, 100)); got != tc.want {
			t.Errorf("chunks(%v) = %s, want %s", tc.sizes, got, tc.want)
		}
	}
	// Attributes count: name + "String" + value.
	j := &Job{Message: &format.Message{Body: []byte("ab"), Attributes: map[string]string{"k": "vv"}}}
	if n := msgSize(j.Message); n != 2+1+6+2 {
		t.Errorf("msgSize = %d", n)
	}
}
