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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &RequestError{TooLarge: true, Message: fmt.Sprintf("Request body is larger than %d bytes.", max)}
		}
		return nil, &RequestError{Message: "Could not read the request body."}
	}
	return body, nil
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
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "" && ct != "application/x-www-form-urlencoded" {
		return vals, nil
	}
	body, err := ReadBody(w, r, max)
	if err != nil {
		return nil, err
	}
	bv, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &RequestError{Message: "The request body is not valid form encoding."}
	}
	for k, v := range bv {
		vals[k] = append(vals[k], v...)
	}
	return vals, nil
}
