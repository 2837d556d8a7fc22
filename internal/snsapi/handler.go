// Package snsapi serves the SNS wire protocols over the topic engine: the
// Query protocol (form-encoded, XML responses), which every AWS SDK speaks
// to SNS, and AWS JSON 1.0 (X-Amz-Target: AmazonSNS.<Action>) for forward
// compatibility. Each action lives in its own file as decode → engine call
// → encode; errors map to AWS's wire errors through one table (errors.go).
package snsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/herald-dev/herald/internal/auth"
	"github.com/herald-dev/herald/internal/awsquery"
	"github.com/herald-dev/herald/internal/topic"
)

// Namespace is the XML namespace of every SNS response.
const Namespace = "http://sns.amazonaws.com/doc/2010-03-31/"

// Version is the API version SDKs send with every Query request.
const Version = "2010-03-31"

// service is how SNS shapes its responses: no XML declaration, no <Detail/>.
var service = awsquery.Service{Namespace: Namespace, ErrorTypePrefix: "com.amazonaws.sns#"}

// TargetPrefix prefixes the X-Amz-Target of SNS JSON requests.
const TargetPrefix = "AmazonSNS."

// MaxRequestBody bounds a request body before parsing: a 256 KiB batch,
// percent-encoded, fits.
const MaxRequestBody = 4 << 20

// Protocol is a wire protocol.
type Protocol int

// The SNS protocols.
const (
	ProtocolQuery Protocol = iota
	ProtocolJSON
)

// Config configures a Handler.
type Config struct {
	Engine *topic.Engine
	Logger *slog.Logger
	// Observe, when set, is told of every request: action, protocol, error
	// code ("" on success) and duration.
	Observe func(action string, p Protocol, code string, d time.Duration)
	// Authenticate, when set, authenticates every request (SigV4) before
	// it is decoded.
	Authenticate auth.Authenticator
	// Authorize, when set, decides whether the caller may perform action
	// ("SNS:Publish") on the topic it names (topicArn; "" for the actions
	// that name none, like CreateTopic and ListTopics); it returns nil or
	// an *auth.Error.
	Authorize func(c auth.Caller, action, topicArn string) error
}

// Handler serves SNS requests.
type Handler struct {
	cfg Config
	log *slog.Logger
}

// New returns a Handler.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Handler{cfg: cfg, log: cfg.Logger}
}

type call struct {
	h         *Handler
	r         *http.Request
	proto     Protocol
	requestID string
	caller    auth.Caller
}

type action struct {
	newInput func() any
	run      func(ctx context.Context, c *call, in any) (any, error)
}

var actions = map[string]action{}

// register adds an action. Every action file registers itself in init.
func register[I, O any](name string, fn func(ctx context.Context, c *call, in *I) (*O, error)) {
	actions[name] = action{
		newInput: func() any { return new(I) },
		run: func(ctx context.Context, c *call, in any) (any, error) {
			out, err := fn(ctx, c, in.(*I))
			if err != nil || out == nil {
				return nil, err
			}
			return out, nil
		},
	}
}

// IsAction reports whether name is an SNS action.
func IsAction(name string) bool {
	_, ok := actions[name]
	return ok
}

// ServeHTTP decodes, dispatches and encodes one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{h: h, r: r, requestID: awsquery.NewRequestID()}
	var name string
	var in any
	err := h.authenticate(c, w)
	if err == nil {
		name, in, err = h.decode(c, w)
	}
	if err == nil && h.cfg.Authorize != nil {
		arn := ""
		if rs, ok := in.(resourced); ok {
			arn = rs.resource()
		}
		err = h.cfg.Authorize(c.caller, "SNS:"+name, arn)
	}
	var out any
	if err == nil {
		out, err = actions[name].run(r.Context(), c, in)
	}
	code := ""
	if err != nil {
		code = string(topic.ErrorCode(err))
		h.writeError(w, c, err)
	} else {
		h.writeOK(w, c, name, out)
	}
	if h.cfg.Observe != nil {
		h.cfg.Observe(name, c.proto, code, time.Since(start))
	}
}

// authenticate verifies the request's signature when the handler has an
// Authenticator. It reads the body (the decoders read it again from
// memory).
func (h *Handler) authenticate(c *call, w http.ResponseWriter) error {
	if h.cfg.Authenticate == nil {
		return nil
	}
	r := c.r
	if r.Header.Get("X-Amz-Target") != "" {
		c.proto = ProtocolJSON
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	caller, err := h.cfg.Authenticate(r, body)
	if err != nil {
		return err
	}
	c.caller = caller
	return nil
}

func (h *Handler) decode(c *call, w http.ResponseWriter) (string, any, error) {
	r := c.r
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		c.proto = ProtocolJSON
		name := strings.TrimPrefix(target, TargetPrefix)
		a, ok := actions[name]
		if !ok {
			return name, nil, topic.Errorf(topic.ErrUnknownOperation, "Operation %s is not supported.", name)
		}
		body, err := readBody(w, r)
		if err != nil {
			return name, nil, err
		}
		in := a.newInput()
		if len(body) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return name, nil, topic.Errorf(topic.ErrSerialization, "Start of structure or map found where not expected.")
			}
		}
		return name, in, nil
	}
	c.proto = ProtocolQuery
	vals, err := form(w, r)
	if err != nil {
		return "", nil, err
	}
	name := vals.Get("Action")
	if name == "" {
		return "", nil, topic.Errorf(topic.ErrInvalidAction, "MissingAction: Could not find the Action parameter in the request.")
	}
	a, ok := actions[name]
	if !ok {
		return name, nil, topic.Errorf(topic.ErrInvalidAction, "The action %s is not valid for this web service.", name)
	}
	in := a.newInput()
	if err := awsquery.Decode(vals, in); err != nil {
		var ve *awsquery.ValueError
		if errors.As(err, &ve) {
			return name, nil, topic.Errorf(topic.ErrInvalidParameter, "Invalid parameter: %s", ve.Key)
		}
		return name, nil, err
	}
	return name, in, nil
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := awsquery.ReadBody(w, r, MaxRequestBody)
	return body, requestError(err)
}

func form(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	vals, err := awsquery.ReadForm(w, r, MaxRequestBody)
	return vals, requestError(err)
}

// requestError maps an awsquery.RequestError to the engine's codes.
func requestError(err error) error {
	var re *awsquery.RequestError
	if !errors.As(err, &re) {
		return err
	}
	if re.TooLarge {
		return topic.Errorf(topic.ErrRequestEntityTooLarge, "%s", re.Message)
	}
	return topic.Errorf(topic.ErrMalformedQueryString, "%s", re.Message)
}

func (h *Handler) writeOK(w http.ResponseWriter, c *call, name string, out any) {
	if err := service.WriteResult(w, c.proto == ProtocolJSON, name, out, c.requestID); err != nil {
		h.writeError(w, c, err)
	}
}

func (h *Handler) writeError(w http.ResponseWriter, c *call, err error) {
	var ae *auth.Error
	if errors.As(err, &ae) {
		service.WriteError(w, c.proto == ProtocolJSON, awsquery.WireError{Shape: ae.Code, Code: ae.Code, Fault: "Sender", Status: ae.Status, Message: ae.Message}, c.requestID)
		return
	}
	var e *topic.Error
	if !errors.As(err, &e) {
		e = &topic.Error{Code: topic.ErrInternal, Message: "We encountered an internal error. Please try again.", Err: err}
	}
	we := lookupError(e.Code)
	if we.status >= 500 {
		h.log.Error("request failed", "request_id", c.requestID, "err", err)
	}
	service.WriteError(w, c.proto == ProtocolJSON, awsquery.WireError{Shape: we.shape, Code: we.query, Fault: we.fault, Status: we.status, Message: e.Message}, c.requestID)
}
