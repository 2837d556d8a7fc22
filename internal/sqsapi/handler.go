// Package sqsapi serves the SQS wire protocols, AWS JSON 1.0 and Query/XML,
// over the queue engine. Each action lives in its own file as a decode →
// engine call → encode; errors map to AWS's wire errors through one table
// (errors.go).
package sqsapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/herald-dev/herald/internal/auth"
	"github.com/herald-dev/herald/internal/awsquery"
	"github.com/herald-dev/herald/internal/queue"
)

// Protocol is a wire protocol.
type Protocol int

// The SQS protocols.
const (
	ProtocolQuery Protocol = iota
	ProtocolJSON
)

// MaxRequestBody bounds a request body before parsing. A 1 MiB batch,
// percent-encoded in the Query protocol, fits.
const MaxRequestBody = 8 << 20

// Config configures a Handler.
type Config struct {
	Engine *queue.Engine
	// Account is the account id that owns queues. Default 000000000000.
	Account string
	// PublicURL is the base of the queue URLs returned to clients, e.g.
	// http://localhost:9324. Empty means http://<request Host>.
	PublicURL string
	Logger    *slog.Logger
	// Observe, when set, is told of every request: action, protocol, error
	// code ("" on success) and duration.
	Observe func(action string, p Protocol, code string, d time.Duration)
	// Authenticate, when set, authenticates every request (SigV4) before
	// it is decoded. The caller's account then owns the queues it creates
	// and lists, and its principal id is the SenderId of what it sends.
	Authenticate auth.Authenticator
	// Authorize, when set, decides whether the caller may perform action
	// ("sqs:SendMessage") on q; it returns nil or an *auth.Error.
	Authorize func(c auth.Caller, action string, q *queue.Queue) error
	// MaxLongPolls caps the ReceiveMessage calls that may wait at once;
	// one more is refused with RequestThrottled (which SDKs retry with
	// backoff). Default DefaultMaxLongPolls.
	MaxLongPolls int
}

// DefaultMaxLongPolls is the default cap on concurrent long polls.
const DefaultMaxLongPolls = 10000

// Handler serves SQS requests.
type Handler struct {
	cfg       Config
	log       *slog.Logger
	longPolls atomic.Int64
	// rootARN is the account root's ARN, the anonymous caller's principal.
	rootARN string
}

// acquireLongPoll takes a long-poll slot, or reports that none is free.
func (h *Handler) acquireLongPoll() bool {
	if h.longPolls.Add(1) > int64(h.cfg.MaxLongPolls) {
		h.longPolls.Add(-1)
		return false
	}
	return true
}

func (h *Handler) releaseLongPoll() { h.longPolls.Add(-1) }

// LongPolls returns the number of long polls in progress.
func (h *Handler) LongPolls() int64 { return h.longPolls.Load() }

// New returns a Handler.
func New(cfg Config) *Handler {
	if cfg.Account == "" {
		cfg.Account = "000000000000"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxLongPolls <= 0 {
		cfg.MaxLongPolls = DefaultMaxLongPolls
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	return &Handler{cfg: cfg, log: cfg.Logger, rootARN: "arn:aws:iam::" + cfg.Account + ":root"}
}

// call carries what an action needs besides its input.
type call struct {
	h         *Handler
	r         *http.Request
	proto     Protocol
	requestID string
	account   string
	senderID  string
	action    string
	caller    auth.Caller
	// body is the request body once authenticate has read it (hasBody).
	body    []byte
	hasBody bool
}

type action struct {
	iamAction string // "sqs:" + name
	newInput  func() any
	run       func(ctx context.Context, c *call, in any) (any, error)
}

var actions = map[string]action{}

// register adds an action. Every action file registers itself in init.
func register[I, O any](name string, fn func(ctx context.Context, c *call, in *I) (*O, error)) {
	actions[name] = action{
		iamAction: "sqs:" + name,
		newInput:  func() any { return new(I) },
		run: func(ctx context.Context, c *call, in any) (any, error) {
			out, err := fn(ctx, c, in.(*I))
			if err != nil || out == nil {
				return nil, err
			}
			return out, nil
		},
	}
}

// ServeHTTP decodes, dispatches and encodes one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{h: h, r: r, requestID: awsquery.NewRequestID(), account: h.cfg.Account}
	c.senderID = c.account
	c.caller = auth.Caller{Account: c.account, PrincipalARN: h.rootARN, PrincipalID: c.account,
		Secure: r.TLS != nil, SourceIP: auth.SourceIP(r), Anonymous: true}
	var name string
	var in any
	err := h.authenticate(c, w)
	if err == nil {
		name, in, err = h.decode(c, w)
	}
	c.action = name
	var out any
	if err == nil {
		out, err = actions[name].run(r.Context(), c, in)
	}
	code := ""
	if err != nil {
		code = string(queue.ErrorCode(err))
		h.writeError(w, c, err)
	} else {
		h.writeOK(w, c, name, out)
	}
	if h.cfg.Observe != nil {
		h.cfg.Observe(name, c.proto, code, time.Since(start))
	}
}

func (h *Handler) decode(c *call, w http.ResponseWriter) (string, any, error) {
	r := c.r
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		c.proto = ProtocolJSON
		name := strings.TrimPrefix(target, "AmazonSQS.")
		a, ok := actions[name]
		if !ok {
			return name, nil, queue.Errorf(queue.ErrUnknownOperation, "Operation %s is not supported.", name)
		}
		body, err := c.readBody(w)
		if err != nil {
			return name, nil, err
		}
		in := a.newInput()
		if len(body) > 0 && !decodeJSONFast(body, in) {
			in = a.newInput() // what the fast path left is discarded
			if err := json.Unmarshal(body, in); err != nil {
				return name, nil, queue.Errorf(queue.ErrSerialization, "Start of structure or map found where not expected.")
			}
		}
		return name, in, nil
	}
	c.proto = ProtocolQuery
	vals, err := h.form(w, c)
	if err != nil {
		return "", nil, err
	}
	name := vals.Get("Action")
	if name == "" {
		return "", nil, queue.Errorf(queue.ErrInvalidAction, "MissingAction: Could not find the Action parameter in the request.")
	}
	a, ok := actions[name]
	if !ok {
		return name, nil, queue.Errorf(queue.ErrInvalidAction, "The action %s is not valid for this endpoint.", name)
	}
	in := a.newInput()
	if err := decodeQuery(vals, in); err != nil {
		return name, nil, err
	}
	// A Query request may address the queue by its URL path instead of a
	// QueueUrl parameter.
	if qi, ok := in.(interface{ setQueueURL(string) }); ok && vals.Get("QueueUrl") == "" {
		if p := strings.Trim(r.URL.Path, "/"); strings.Count(p, "/") == 1 {
			qi.setQueueURL(r.URL.Path)
		}
	}
	return name, in, nil
}

// authenticate verifies the request's signature when the handler has an
// Authenticator. It reads the body (which the decoders then take from
// c.body) and makes the caller's account and principal the call's.
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
	// The decoders use c.body.
	c.body, c.hasBody = body, true
	caller, err := h.cfg.Authenticate(r, body)
	if err != nil {
		return err
	}
	c.caller = caller
	c.account, c.senderID = caller.Account, caller.PrincipalID
	return nil
}

// authorize asks the Authorizer whether the call's caller may perform the
// call's action on q.
func (c *call) authorize(q *queue.Queue) error {
	if c.h.cfg.Authorize == nil {
		return nil
	}
	iam := "sqs:" + c.action
	if a, ok := actions[c.action]; ok {
		iam = a.iamAction
	}
	return c.h.cfg.Authorize(c.caller, iam, q)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := awsquery.ReadBody(w, r, MaxRequestBody)
	return body, requestError(err)
}

// readBody returns the request body, read once: authenticate may have read
// it already.
func (c *call) readBody(w http.ResponseWriter) ([]byte, error) {
	if c.hasBody {
		return c.body, nil
	}
	return readBody(w, c.r)
}

func (h *Handler) form(w http.ResponseWriter, c *call) (url.Values, error) {
	if c.hasBody {
		vals, err := awsquery.ParseForm(c.r, c.body)
		return vals, requestError(err)
	}
	vals, err := awsquery.ReadForm(w, c.r, MaxRequestBody)
	return vals, requestError(err)
}

// requestError maps an awsquery.RequestError to the engine's codes.
func requestError(err error) error {
	if err == nil {
		return nil
	}
	var re *awsquery.RequestError
	if !errors.As(err, &re) {
		return err
	}
	if re.TooLarge {
		return queue.Errorf(queue.ErrRequestEntityTooLarge, "%s", re.Message)
	}
	return queue.Errorf(queue.ErrMalformedQueryString, "%s", re.Message)
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
	var e *queue.Error
	if !errors.As(err, &e) {
		e = &queue.Error{Code: queue.ErrInternal, Message: "We encountered an internal error. Please try again.", Err: err}
	}
	we := lookupError(e.Code)
	if we.status >= 500 {
		h.log.Error("request failed", "request_id", c.requestID, "err", err)
	}
	msg := e.Message
	if e.Code == queue.ErrQueueDoesNotExist && c.proto == ProtocolQuery {
		msg = "The specified queue does not exist for this wsdl version."
	}
	service.WriteError(w, c.proto == ProtocolJSON, awsquery.WireError{Shape: we.shape, Code: we.query, Fault: we.fault, Status: we.status, Message: msg}, c.requestID)
}
