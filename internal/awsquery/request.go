package awsquery

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// RequestError is a request body or form that cannot be read. TooLarge
// says the body passed the limit; otherwise the encoding is malformed.
// Message is worded for the client.
type RequestError struct {
	TooLarge bool
	Message  string
}

func (e *RequestError) Error() string { return e.Message }

// ReadBody reads a request body of at most max bytes. The only error is a
// *RequestError.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	body, err := readAll(http.MaxBytesReader(w, r.Body, max), r.ContentLength, max)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &RequestError{TooLarge: true, Message: fmt.Sprintf("Request body is larger than %d bytes.", max)}
		}
		return nil, &RequestError{Message: "Could not read the request body."}
	}
	return body, nil
}

// readAll is io.ReadAll with a first buffer sized for the declared
// Content-Length (when it is known and within max), so that a body is read
// without growing and copying its buffer.
func readAll(r io.Reader, contentLength, max int64) ([]byte, error) {
	if contentLength <= 0 || contentLength > max {
		return io.ReadAll(r)
	}
	// One byte more than declared, so that EOF is seen without growing.
	b := make([]byte, 0, contentLength+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append pick the capacity
		}
	}
}

// ReadForm returns a Query request's parameters: the URL's query merged
// with a form-encoded body (of a POST or PUT without a Content-Type or with
// application/x-www-form-urlencoded, any charset). The only error is a
// *RequestError.
func ReadForm(w http.ResponseWriter, r *http.Request, max int64) (url.Values, error) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &RequestError{Message: "The query string is malformed."}
	}
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		return vals, nil
	}
	if !formBody(r) {
		return vals, nil
	}
	body, err := ReadBody(w, r, max)
	if err != nil {
		return nil, err
	}
	return mergeForm(vals, body)
}

// ParseForm is ReadForm for a request whose body has already been read
// into body (by ReadBody).
func ParseForm(r *http.Request, body []byte) (url.Values, error) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &RequestError{Message: "The query string is malformed."}
	}
	if r.Method != http.MethodPost && r.Method != http.MethodPut || !formBody(r) {
		return vals, nil
	}
	return mergeForm(vals, body)
}

// formBody reports whether r's body is form-encoded: no Content-Type or
// application/x-www-form-urlencoded, any charset.
func formBody(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "" || ct == "application/x-www-form-urlencoded"
}

func mergeForm(vals url.Values, body []byte) (url.Values, error) {
	bv, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &RequestError{Message: "The request body is not valid form encoding."}
	}
	for k, v := range bv {
		vals[k] = append(vals[k], v...)
	}
	return vals, nil
}
