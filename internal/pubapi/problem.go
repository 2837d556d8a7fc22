package pubapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/herald-dev/herald/publisher/relay"
	"github.com/herald-dev/herald/publisher/store"
)

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Instance is the request's path.
	Instance string `json:"instance,omitempty"`
	// Errors lists every validation problem found, for 400s about input.
	Errors []string `json:"errors,omitempty"`
}

// ProblemBase prefixes the problem type URIs.
const ProblemBase = "https://herald.dev/problems/"

// Errors of the HTTP layer, matched by problemTable.
var (
	errMalformed    = errors.New("malformed JSON")
	errUnknownField = errors.New("unknown field")
	errTooLarge     = errors.New("request body too large")
	errMediaType    = errors.New("unsupported media type")
	errMethod       = errors.New("method not allowed")
	errNoRoute      = errors.New("no such resource")
)

// problemTable maps errors to problems, first match wins; an error that
// matches no row is an internal error (500), logged, whose detail says
// nothing of its cause.
var problemTable = []struct {
	err    error
	status int
	typ    string
	title  string
	// list: the detail is a list of problems, also sent as "errors".
	list bool
}{
	{relay.ErrInvalid, http.StatusBadRequest, ProblemBase + "invalid-request", "The request is invalid", true},
	{errMalformed, http.StatusBadRequest, ProblemBase + "malformed-json", "The request body is not valid JSON", false},
	{errUnknownField, http.StatusBadRequest, ProblemBase + "unknown-field", "The request body has an unknown field", false},
	{store.ErrNotFound, http.StatusNotFound, ProblemBase + "not-found", "Not found", false},
	{errNoRoute, http.StatusNotFound, ProblemBase + "not-found", "Not found", false},
	{store.ErrConflict, http.StatusConflict, ProblemBase + "conflict", "Conflict", false},
	{errMethod, http.StatusMethodNotAllowed, "about:blank", "Method Not Allowed", false},
	{errTooLarge, http.StatusRequestEntityTooLarge, ProblemBase + "body-too-large", "The request body is too large", false},
	{errMediaType, http.StatusUnsupportedMediaType, ProblemBase + "unsupported-media-type", "Unsupported media type", false},
	{store.ErrClosed, http.StatusServiceUnavailable, ProblemBase + "unavailable", "The publisher is shutting down", false},
}

// invalidf returns an error about the request's input (400).
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", relay.ErrInvalid, fmt.Sprintf(format, args...))
}

// methodError reports a method the path does not serve (405).
func methodError(method string, allowed []string) error {
	return fmt.Errorf("%w: %s is not served here; use %s", errMethod, method, strings.Join(allowed, ", "))
}

// problem writes err as a problem document.
func (a *api) problem(w http.ResponseWriter, r *http.Request, err error) {
	p := toProblem(err)
	p.Instance = r.URL.Path
	if p.Status == http.StatusInternalServerError {
		if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
			a.log.Info("publisher API: client went away", "method", r.Method, "path", r.URL.Path, "err", err)
		} else {
			a.log.Error("publisher API: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
	writeJSON(w, p.Status, "application/problem+json", p)
}

// toProblem classifies err by problemTable.
func toProblem(err error) *Problem {
	for _, row := range problemTable {
		if !errors.Is(err, row.err) {
			continue
		}
		p := &Problem{Type: row.typ, Title: row.title, Status: row.status}
		if row.list {
			p.Errors = leaves(err, "")
			for i, e := range p.Errors {
				p.Errors[i] = strings.TrimPrefix(e, relay.ErrInvalid.Error()+": ")
			}
			if len(p.Errors) == 1 {
				p.Detail = p.Errors[0]
			} else {
				p.Detail = fmt.Sprintf("%d problems: %s", len(p.Errors), strings.Join(p.Errors, "; "))
			}
		} else {
			p.Detail = strings.TrimPrefix(err.Error(), row.err.Error()+": ")
		}
		return p
	}
	return &Problem{
		Type: "about:blank", Title: "Internal Server Error", Status: http.StatusInternalServerError,
		Detail: "The publisher failed to process the request; the error has been logged.",
	}
}

// leaves returns the messages of the independent problems err wraps, each
// with the context its wrappers give it: an errors.Join becomes one entry
// per joined error, prefixed by the text that wraps the join.
func leaves(err error, prefix string) []string {
	msg := err.Error()
	switch x := err.(type) {
	case interface{ Unwrap() []error }:
		kids := x.Unwrap()
		if len(kids) > 1 && msg == joinMessages(kids) {
			var out []string
			for _, k := range kids {
				out = append(out, leaves(k, prefix)...)
			}
			return out
		}
		// A fmt.Errorf with several %w: follow the last wrapped error
		// when the message ends with it.
		if len(kids) > 0 {
			if last := kids[len(kids)-1]; last != nil && strings.HasSuffix(msg, last.Error()) {
				return leaves(last, prefix+strings.TrimSuffix(msg, last.Error()))
			}
		}
	case interface{ Unwrap() error }:
		if in := x.Unwrap(); in != nil && strings.HasSuffix(msg, in.Error()) {
			return leaves(in, prefix+strings.TrimSuffix(msg, in.Error()))
		}
	}
	return []string{prefix + msg}
}

func joinMessages(errs []error) string {
	var b strings.Builder
	for i, e := range errs {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e != nil {
			b.WriteString(e.Error())
		}
	}
	return b.String()
}
