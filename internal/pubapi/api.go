// Package pubapi is the publisher's HTTP API, mounted by "herald serve"
// under /v1/: subscriptions, events, deliveries, test notifications and
// replays, over a *relay.Relay.
//
// Requests and responses are JSON. Request bodies must be sent with
// Content-Type application/json, may not exceed Config.MaxBody and may not
// carry fields the API does not know. Every error is an RFC 9457 problem
// details document (application/problem+json) with type, title, status
// and detail; validation errors add an "errors" array, one string per
// problem found. The statuses are decided in one place, problemTable.
//
// Lists are paginated by id: a list returns at most limit items (default
// 100, at most 1000) and "next", the id to pass as after= to get the next
// page, empty on the last page.
package pubapi

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/herald-dev/herald/publisher/relay"
)

// DefaultMaxBody is the default limit of a request body: 5 MiB.
const DefaultMaxBody = 5 << 20

// Config configures the API.
type Config struct {
	// Relay is the publisher engine. Required.
	Relay *relay.Relay
	// Logger receives internal errors. Default slog.Default().
	Logger *slog.Logger
	// MaxBody is the largest request body accepted, in bytes. Default
	// DefaultMaxBody.
	MaxBody int64
}

// api holds the handlers' shared state.
type api struct {
	relay   *relay.Relay
	log     *slog.Logger
	maxBody int64
}

// handlerFunc is a handler that reports failure by returning an error,
// which serve turns into a problem document.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type route struct {
	method, path string
	h            handlerFunc
}

// New returns the API's handler. It serves paths under /v1/ only.
func New(cfg Config) http.Handler {
	if cfg.Relay == nil {
		panic("pubapi: Config.Relay is required")
	}
	a := &api{relay: cfg.Relay, log: cfg.Logger, maxBody: cfg.MaxBody}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBody
	}
	routes := []route{
		{"GET", "/v1/subscriptions", a.listSubscriptions},
		{"POST", "/v1/subscriptions", a.createSubscription},
		{"GET", "/v1/subscriptions/{id}", a.getSubscription},
		{"PUT", "/v1/subscriptions/{id}", a.updateSubscription},
		{"DELETE", "/v1/subscriptions/{id}", a.deleteSubscription},
		{"POST", "/v1/subscriptions/{id}/test", a.testSubscription},
		{"POST", "/v1/subscriptions/{id}/replay", a.replaySubscription},
		{"GET", "/v1/subscriptions/{id}/deliveries", a.subscriptionDeliveries},

		{"GET", "/v1/events", a.listEvents},
		{"POST", "/v1/events", a.publishEvents},
		{"GET", "/v1/events/{id}", a.getEvent},
		{"GET", "/v1/events/{id}/deliveries", a.eventDeliveries},

		{"GET", "/v1/deliveries", a.listDeliveries},
		{"GET", "/v1/deliveries/{id}", a.getDelivery},
		{"POST", "/v1/deliveries/{id}/replay", a.replayDelivery},
	}
	mux := http.NewServeMux()
	allow := map[string][]string{}
	var paths []string
	for _, rt := range routes {
		mux.Handle(rt.method+" "+rt.path, a.serve(rt.h))
		if _, ok := allow[rt.path]; !ok {
			paths = append(paths, rt.path)
		}
		allow[rt.path] = append(allow[rt.path], rt.method)
		if rt.method == "GET" {
			allow[rt.path] = append(allow[rt.path], "HEAD")
		}
	}
	// A pattern without a method is less specific than the same path with
	// one, so it receives exactly the requests with another method.
	for _, p := range paths {
		methods := allow[p]
		slices.Sort(methods)
		mux.Handle(p, a.serve(func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			return methodError(r.Method, methods)
		}))
	}
	mux.Handle("/", a.serve(func(w http.ResponseWriter, r *http.Request) error {
		return errNoRoute
	}))
	return mux
}

// serve adapts a handlerFunc: an error becomes a problem document.
func (a *api) serve(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.problem(w, r, err)
		}
	})
}
