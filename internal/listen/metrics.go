package listen

import (
	"sort"

	"github.com/herald-dev/herald/consumer/snshttp"
)

// registerMetrics exposes the pipeline's and the sources' counters as
// herald_listen_* metrics, read at scrape time.
func (l *Listener) registerMetrics() {
	r := l.registry
	stats := l.pipeline.Stats()
	r.NewCounterFunc("herald_listen_messages_total", "Messages received from the sources.", nil,
		func(emit func(float64, ...string)) { emit(float64(stats.Snapshot().Messages)) })
	r.NewCounterFunc("herald_listen_events_total", "Events by outcome: delivered, duplicate, stale, quarantined, unrouted, failed.",
		[]string{"outcome"}, func(emit func(float64, ...string)) {
			s := stats.Snapshot()
			emit(float64(s.Delivered), "delivered")
			emit(float64(s.Duplicates), "duplicate")
			emit(float64(s.Stale), "stale")
			emit(float64(s.Quarantined), "quarantined")
			emit(float64(s.Unrouted), "unrouted")
			emit(float64(s.Failed), "failed")
		})
	r.NewGaugeFunc("herald_listen_in_flight_messages", "Messages being processed now.", nil,
		func(emit func(float64, ...string)) { emit(float64(stats.Snapshot().InFlight)) })
	r.NewGaugeFunc("herald_listen_lag_seconds", "How long the most recently received message waited in its queue.", nil,
		func(emit func(float64, ...string)) { emit(stats.Snapshot().Lag.Seconds()) })
	r.NewCounterFunc("herald_listen_busy_waits_total", "Events that found their key being processed elsewhere.", nil,
		func(emit func(float64, ...string)) { emit(float64(stats.Snapshot().BusyWaits)) })
	r.NewCounterFunc("herald_listen_sink_deliveries_total", "Sink deliveries by sink and result (ok, failed, permanent).",
		[]string{"sink", "result"}, func(emit func(float64, ...string)) {
			s := stats.Snapshot()
			for _, name := range sortedKeys(s.Sinks) {
				ss := s.Sinks[name]
				emit(float64(ss.Delivered), name, "ok")
				emit(float64(ss.Failed), name, "failed")
				emit(float64(ss.Permanent), name, "permanent")
			}
		})
	r.NewCounterFunc("herald_listen_sink_seconds_total", "Time spent in each sink's Deliver.", []string{"sink"},
		func(emit func(float64, ...string)) {
			s := stats.Snapshot()
			for _, name := range sortedKeys(s.Sinks) {
				emit(s.Sinks[name].Seconds, name)
			}
		})
	if l.sqs != nil {
		st := l.sqs.Stats()
		r.NewCounterFunc("herald_listen_sqs_total", "SQS source operations: received, deleted, delete_errors, released, heartbeats, receive_errors.",
			[]string{"op"}, func(emit func(float64, ...string)) {
				emit(float64(st.Received.Load()), "received")
				emit(float64(st.Deleted.Load()), "deleted")
				emit(float64(st.DeleteErrors.Load()), "delete_errors")
				emit(float64(st.Released.Load()), "released")
				emit(float64(st.Heartbeats.Load()), "heartbeats")
				emit(float64(st.ReceiveErrors.Load()), "receive_errors")
			})
		r.NewGaugeFunc("herald_listen_queue_messages", "The source queue's approximate messages (visible = backlog, not_visible = in flight anywhere).",
			[]string{"state"}, func(emit func(float64, ...string)) {
				if v := st.Backlog.Load(); v >= 0 {
					emit(float64(v), "visible")
				}
				if v := st.NotVisible.Load(); v >= 0 {
					emit(float64(v), "not_visible")
				}
			})
	}
	if l.sns != nil {
		st := l.sns.Stats()
		r.NewCounterFunc("herald_listen_sns_requests_total", "SNS endpoint requests by result.", []string{"result"},
			func(emit func(float64, ...string)) {
				emit(float64(st.Received.Load()), "received")
				emit(float64(st.Processed.Load()), "processed")
				emit(float64(st.Failed.Load()), "failed")
				emit(float64(st.Confirmations.Load()), "confirmation")
				emit(float64(st.Confirmed.Load()), "confirmed")
				emit(float64(st.ConfirmFailed.Load()), "confirm_failed")
				emit(float64(st.Unsubscribed.Load()), "unsubscribed")
			})
		r.NewCounterFunc("herald_listen_sns_rejected_total", "SNS endpoint requests refused, by reason.", []string{"reason"},
			func(emit func(float64, ...string)) {
				for i := snshttp.Reason(0); i < snshttp.NumReasons; i++ {
					emit(float64(st.Rejected[i].Load()), i.String())
				}
			})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
