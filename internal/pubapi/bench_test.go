package pubapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
)

// BenchmarkPublishBatch500 posts batches of 500 events over a real socket
// to a real relay on the SQLite store, with one matching subscription (so
// each event also gets a delivery), from parallel clients. The target is
// 10,000 events/s on 2 cores: go test -bench PublishBatch500 -cpu 2.
func BenchmarkPublishBatch500(b *testing.B) {
	e := newEnv(b, envOptions{})
	e.createQueueSubscription("acme", "bench")
	const size = 500
	var n atomic.Int64
	body := func() []byte {
		base := n.Add(1) * size
		var buf bytes.Buffer
		buf.WriteString(`{"events":[`)
		for i := range size {
			if i > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"tenant":"acme","entity_type":"photo","entity_id":"%d","type":"photo.status_changed",`+
				`"status":"DOWNLOADED","occurred_at":"2026-03-01T10:00:00Z","data":{"id":%d,"url":"https://img.example/%d.jpg","width":4032,"height":3024}}`,
				base+int64(i), base+int64(i), base+int64(i))
		}
		buf.WriteString(`]}`)
		return buf.Bytes()
	}
	client := e.srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", e.srv.URL+"/v1/events", bytes.NewReader(body()))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			var out bytes.Buffer
			out.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				b.Errorf("status %d: %s", resp.StatusCode, out.Bytes())
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
}
