package consumer

// NamedSink is a sink with the name configuration gave it (for logs and
// metrics).
type NamedSink struct {
	Name string
	Sink Sink
}

// A Route sends the events it matches to its sinks. A route with a zero
// Field matches every event (a default route). A route with a Field matches
// an event when the first value the field selects, as text (ValueString),
// is one of Values, or, when Values is empty, when the field is present.
// Routes are tried in order; the first match wins. A matching route with no
// sinks drops the event on purpose (it counts as delivered).
type Route struct {
	Name   string
	Field  Path
	Values []string
	Sinks  []NamedSink
}

func (r *Route) matches(ev *Event) bool {
	if r.Field.IsZero() {
		return true
	}
	v, ok := r.Field.First(ev.Doc)
	if !ok {
		return false
	}
	if len(r.Values) == 0 {
		return true
	}
	s := ValueString(v)
	for _, want := range r.Values {
		if s == want {
			return true
		}
	}
	return false
}

// route returns the first route that matches ev, or nil.
func route(routes []Route, ev *Event) *Route {
	for i := range routes {
		if routes[i].matches(ev) {
			return &routes[i]
		}
	}
	return nil
}
