package server

import (
	"net/http"

	"github.com/herald-dev/herald/internal/metrics"
)

// routes lists every route the server serves.
func routes(sqs http.Handler, reg *metrics.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		reg.WriteTo(w)
	})
	// SQS: JSON 1.0 and Query requests to "/" or to a queue URL path.
	mux.Handle("/", sqs)
	return mux
}
