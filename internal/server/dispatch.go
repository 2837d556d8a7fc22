package server

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/herald-dev/herald/internal/snsapi"
)

// maxPeek bounds how much of a Query body is read to tell SQS from SNS.
const maxPeek = 8 << 20

// dispatch sends each request on "/" to SQS or SNS. In order, it trusts:
// the JSON target prefix (AmazonSQS. / AmazonSNS.), the service in a SigV4
// credential scope (…/sqs/aws4_request or …/sns/aws4_request), the Query
// API Version (2012-11-05 or 2010-03-31), and last the action's name (SNS
// actions whose names SQS does not also use). Anything else is SQS's.
func dispatch(sqs, sns http.Handler) http.Handler {
	if sns == nil {
		return sqs
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isSNS(r) {
			sns.ServeHTTP(w, r)
			return
		}
		sqs.ServeHTTP(w, r)
	})
}

func isSNS(r *http.Request) bool {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return strings.HasPrefix(t, snsapi.TargetPrefix)
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		if strings.Contains(auth, "/sns/aws4_request") {
			return true
		}
		if strings.Contains(auth, "/sqs/aws4_request") {
			return false
		}
	}
	if p := strings.Trim(r.URL.Path, "/"); p != "" {
		return false // a queue URL path
	}
	vals, _ := url.ParseQuery(r.URL.RawQuery)
	if (r.Method == http.MethodPost || r.Method == http.MethodPut) && r.Body != nil {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct == "" || ct == "application/x-www-form-urlencoded" {
			body, err := io.ReadAll(io.LimitReader(r.Body, maxPeek+1))
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
			if err == nil {
				if bv, err := url.ParseQuery(string(body)); err == nil {
					for k, v := range bv {
						vals[k] = append(vals[k], v...)
					}
				}
			}
		}
	}
	switch vals.Get("Version") {
	case snsapi.Version:
		return true
	case "2012-11-05":
		return false
	}
	switch a := vals.Get("Action"); a {
	case "AddPermission", "RemovePermission":
		return vals.Get("TopicArn") != ""
	default:
		return snsapi.IsAction(a)
	}
}
