package deliver

import (
	"context"
	"fmt"
	"testing"

	"github.com/herald-dev/herald/internal/brokertest"
)

// BenchmarkSQSSend sends 1000 jobs to 4 queues of the in-process broker per
// iteration and reports jobs/s.
func BenchmarkSQSSend(b *testing.B) {
	br := brokertest.Start(b)
	d := newDispatcher(b, br, Config{})
	var queues []string
	for i := range 4 {
		queues = append(queues, br.CreateQueue(b, fmt.Sprintf("bench-%d", i), nil))
	}
	const n = 1000
	jobs := make([]*Job, n)
	body := `{"specversion":"1.0","type":"photo.status_changed","source":"herald","id":"evt_%d","data":{"photo_id":"p-%d","status":"ready"}}`
	for i := range jobs {
		jobs[i] = &Job{
			ID:          fmt.Sprint(i),
			Destination: sqsDest(queues[i%len(queues)]),
			Message:     msg(fmt.Sprintf(body, i, i), map[string]string{"event_type": "photo.status_changed", "tenant": "acme"}),
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		for i, r := range d.Send(ctx, jobs) {
			if r.Err != nil {
				b.Fatalf("job %d: %v", i, r.Err)
			}
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "jobs/s")
}
