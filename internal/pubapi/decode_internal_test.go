package pubapi

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkDecodeBatch500 measures decoding alone: one body of 500 events.
func BenchmarkDecodeBatch500(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"events":[`)
	for i := range 500 {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"tenant":"acme","entity_type":"photo","entity_id":"%d","type":"photo.status_changed",`+
			`"status":"DOWNLOADED","occurred_at":"2026-03-01T10:00:00Z","data":{"id":%d,"width":4032,"height":3024}}`, i, i)
	}
	buf.WriteString(`]}`)
	body := buf.Bytes()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var in publishBody
		if err := decode(body, &in); err != nil || len(*in.Events) != 500 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "events/s")
}
