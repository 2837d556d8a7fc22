package server

import (
	"net/http"
	"net/http/pprof"

	"github.com/herald-dev/herald/internal/metrics"
	"github.com/herald-dev/herald/internal/topic"
)

// routes lists every route the server serves.
func routes(sqs, sns, publisher http.Handler, topics *topic.Engine, reg *metrics.Registry, profile bool) http.Handler {
	mux := http.NewServeMux()
	if profile {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		reg.Render(w)
	})
	if topics != nil {
		// The certificate that signs SNS messages, at their SigningCertURL.
		mux.HandleFunc("GET /"+topics.CertName(), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-pem-file")
			_, _ = w.Write(topics.CertPEM())
		})
	}
	if publisher != nil {
		// The publisher's API (subscriptions, events, deliveries).
		mux.Handle("/v1/", publisher)
	}
	// SQS and SNS: JSON 1.0 and Query requests to "/" (or, for SQS, to a
	// queue URL path).
	mux.Handle("/", dispatch(sqs, sns))
	return mux
}
