package pubapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Pagination limits.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// readBody reads the request body whole, enforcing the size limit and the
// content type. An empty body is returned as nil when optional; a body is
// required otherwise.
func (a *api) readBody(w http.ResponseWriter, r *http.Request, optional bool) ([]byte, error) {
	if r.ContentLength > a.maxBody {
		return nil, fmt.Errorf("%w: the body has %d bytes; the most is %d", errTooLarge, r.ContentLength, a.maxBody)
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + 1)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, a.maxBody))
	body := buf.Bytes()
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, fmt.Errorf("%w: the most is %d bytes", errTooLarge, a.maxBody)
		}
		return nil, fmt.Errorf("reading the request body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil, nil
		}
		return nil, invalidf("a JSON request body is required")
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		if ct == "" {
			return nil, fmt.Errorf("%w: send the body with Content-Type: application/json", errMediaType)
		}
		return nil, fmt.Errorf("%w: Content-Type %q; send application/json", errMediaType, ct)
	}
	return body, nil
}

// decode decodes one JSON value from body into v, refusing unknown fields
// and trailing data. Errors say where the problem is.
func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(body, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		off := dec.InputOffset()
		return fmt.Errorf("%w: unexpected data after the JSON value at %s", errMalformed, position(body, off))
	}
	return nil
}

// decodeError turns an encoding/json error into one that names the place.
func decodeError(body []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("%w: %s at %s", errMalformed, strings.TrimPrefix(syn.Error(), "json: "), position(body, syn.Offset-1))
	case errors.As(err, &typ):
		where := typ.Field
		if where == "" {
			where = "the body"
		}
		return fmt.Errorf("%w: %s: a JSON %s cannot be a %s (at %s)", errMalformed, where, typ.Value, goKind(typ.Type.String()), position(body, typ.Offset))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: the body ends before the JSON value does", errMalformed)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if f, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return fmt.Errorf("%w: %s is not a field of this request", errUnknownField, f)
	}
	// Errors of UnmarshalJSON methods, such as an unparsable time.
	return fmt.Errorf("%w: %s", errMalformed, msg)
}

// goKind names a Go type in JSON's terms.
func goKind(t string) string {
	switch {
	case t == "string", t == "time.Time":
		return "string"
	case strings.HasPrefix(t, "[]"):
		return "array"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "number"
	case t == "bool", t == "*bool":
		return "boolean"
	}
	return "object"
}

// position renders a byte offset as "line L, column C" (1-based).
func position(body []byte, off int64) string {
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	if off < 0 {
		off = 0
	}
	before := body[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return fmt.Sprintf("line %d, column %d", line, col)
}

// writeJSON writes v with the status.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Nothing the API writes fails to marshal; be safe anyway.
		status = http.StatusInternalServerError
		contentType = "application/problem+json"
		b = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// ok writes a JSON response.
func ok(w http.ResponseWriter, status int, v any) error {
	writeJSON(w, status, "application/json", v)
	return nil
}

// page reads the after and limit query parameters.
func page(r *http.Request) (after string, limit int, err error) {
	q := r.URL.Query()
	limit = defaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return "", 0, invalidf("limit %q: want an integer from 1 to %d", s, maxLimit)
		}
		limit = n
	}
	return q.Get("after"), limit, nil
}

// trim cuts a list fetched with limit+1 items to limit and returns the
// cursor of the next page ("" when there is none).
func trim[T any](items []T, limit int, id func(T) string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, id(items[limit-1])
}

// queryTime parses an optional RFC 3339 query parameter.
func queryTime(r *http.Request, name string) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalidf("%s %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", name, s)
	}
	return t, nil
}

// nonNil makes a nil slice encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
