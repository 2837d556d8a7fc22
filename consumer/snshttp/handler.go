package snshttp

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/internal/snsverify"
)

// Headers SNS sends with every delivery.
const (
	HeaderMessageType     = "x-amz-sns-message-type"
	HeaderMessageID       = "x-amz-sns-message-id"
	HeaderTopicArn        = "x-amz-sns-topic-arn"
	HeaderSubscriptionArn = "x-amz-sns-subscription-arn"
	HeaderRawDelivery     = "x-amz-sns-rawdelivery"
)

// Source is the consumer.Message.Source of every message a Handler makes.
const Source = "sns"

// Handler is the http.Handler of an SNS HTTP(S) subscription endpoint. It
// is safe for concurrent use; it holds no goroutines or connections of its
// own beyond idle HTTP client connections, so it needs no Stop.
//
// A notification is handed to the processor with the request's context,
// which ends when SNS stops waiting (15 s for AWS) or the server closes
// the connection; the message's Body is the envelope exactly as received
// and its Attributes the envelope's String and Number MessageAttributes.
// SNS does not sign MessageAttributes (nor UnsubscribeURL): over plain
// HTTP they could be altered on the way without the signature failing.
//
// What each request is answered:
//
//	405  not a POST (with Allow: POST)
//	413  body larger than MaxBodyBytes
//	400  not an SNS message: bad JSON, missing field, unknown Type, an
//	     x-amz-sns-message-type header that disagrees with the body, a raw
//	     delivery without x-amz-sns-message-id
//	403  unsigned, bad signature, signing certificate URL not https (see
//	     AllowHTTPCerts) or not on an allowed host, certificate invalid or
//	     expired; topic not in TopicArns; raw delivery while AllowRaw is
//	     off; a SubscribeURL not on an allowed host
//	502  the signing certificate could not be fetched, or visiting the
//	     SubscribeURL failed: both may pass, and SNS retries 5xx
//	500  the processor did not acknowledge the notification (SNS
//	     redelivers it under the subscription's delivery policy)
//	200  notification acknowledged by the processor; subscription
//	     confirmed (or, without AutoConfirm, its SubscribeURL logged);
//	     unsubscribe confirmation logged
type Handler struct {
	cfg      Config
	proc     consumer.Processor
	log      *slog.Logger
	verifier *snsverify.Verifier
	hosts    *regexp.Regexp
	topics   map[string]bool // nil: any topic
	client   *http.Client    // visits SubscribeURLs
	stats    Stats
}

// NewHandler returns a Handler that verifies deliveries as cfg says and
// hands notifications to p. A nil logger means slog.Default(). It returns
// cfg.Validate's error, if any.
func NewHandler(cfg Config, p consumer.Processor, logger *slog.Logger) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("snshttp: nil processor")
	}
	if logger == nil {
		logger = slog.Default()
	}
	cfg.TopicArns = append([]string(nil), cfg.TopicArns...)
	h := &Handler{
		cfg:   cfg,
		proc:  p,
		log:   logger,
		hosts: cfg.hostPattern(),
		client: &http.Client{
			// A redirect would lead away from the host that was checked.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	h.verifier = snsverify.New(snsverify.Options{
		HostPattern:   h.hosts,
		MatchHostPort: cfg.MatchHostPort,
		AllowHTTP:     cfg.AllowHTTPCerts,
		FetchTimeout:  cfg.CertFetchTimeout.Or(DefaultCertFetchTimeout),
	})
	if len(cfg.TopicArns) > 0 {
		h.topics = make(map[string]bool, len(cfg.TopicArns))
		for _, arn := range cfg.TopicArns {
			h.topics[arn] = true
		}
	}
	return h, nil
}

// Stats returns the handler's counters, live (not a copy).
func (h *Handler) Stats() *Stats { return &h.stats }

// ServeHTTP answers one delivery; see Handler for the status codes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.stats.Received.Add(1)
	received := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, r, ReasonMethod, http.StatusMethodNotAllowed, "only POST is accepted", nil)
		return
	}
	raw := strings.EqualFold(r.Header.Get(HeaderRawDelivery), "true")
	if raw && !h.cfg.AllowRaw {
		h.reject(w, r, ReasonRaw, http.StatusForbidden, "raw deliveries are not accepted", nil)
		return
	}
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	if raw {
		h.serveRaw(w, r, body, received)
		return
	}

	m, err := h.verifier.Verify(r.Context(), body)
	if err != nil {
		reason, status := classify(err)
		h.reject(w, r, reason, status, http.StatusText(status), err)
		return
	}
	if t := r.Header.Get(HeaderMessageType); t != "" && t != m.Type {
		h.reject(w, r, ReasonMalformed, http.StatusBadRequest, "message type header does not match the message",
			fmt.Errorf("header %s: %q, body Type: %q", HeaderMessageType, t, m.Type))
		return
	}
	if !h.topicAllowed(m.TopicArn) {
		h.reject(w, r, ReasonTopic, http.StatusForbidden, "topic not accepted",
			fmt.Errorf("topic %q is not in topic_arns", m.TopicArn))
		return
	}
	switch m.Type {
	case snsverify.TypeNotification:
		h.process(w, r, &consumer.Message{
			ID:         m.MessageId,
			Body:       body,
			Attributes: attributes(m.MessageAttributes),
			ReceivedAt: received,
			Source:     Source,
		}, m.TopicArn)
	case snsverify.TypeSubscriptionConfirmation:
		h.confirm(w, r, m)
	case snsverify.TypeUnsubscribeConfirmation:
		h.stats.Unsubscribed.Add(1)
		h.log.Info("snshttp: subscription deleted; visit subscribe_url to subscribe again",
			"topic_arn", m.TopicArn, "subscription_arn", r.Header.Get(HeaderSubscriptionArn),
			"subscribe_url", m.SubscribeURL)
		w.WriteHeader(http.StatusOK)
	}
}

// readBody reads the body, bounded by MaxBodyBytes. When it fails it has
// answered the request.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	limit := h.cfg.maxBody()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.reject(w, r, ReasonTooLarge, http.StatusRequestEntityTooLarge, "body too large",
				fmt.Errorf("body is over %d bytes", limit))
			return nil, false
		}
		h.reject(w, r, ReasonMalformed, http.StatusBadRequest, "cannot read the body", err)
		return nil, false
	}
	return body, true
}

// serveRaw handles a raw delivery (AllowRaw is on): the body is the
// published message itself and only the headers say what it is.
func (h *Handler) serveRaw(w http.ResponseWriter, r *http.Request, body []byte, received time.Time) {
	if t := r.Header.Get(HeaderMessageType); t != "" && t != snsverify.TypeNotification {
		h.reject(w, r, ReasonMalformed, http.StatusBadRequest, "raw deliveries are notifications",
			fmt.Errorf("raw delivery of type %q", t))
		return
	}
	id := r.Header.Get(HeaderMessageID)
	if id == "" {
		h.reject(w, r, ReasonMalformed, http.StatusBadRequest, "missing "+HeaderMessageID,
			errors.New("raw delivery without a message id"))
		return
	}
	topic := r.Header.Get(HeaderTopicArn)
	if !h.topicAllowed(topic) {
		h.reject(w, r, ReasonTopic, http.StatusForbidden, "topic not accepted",
			fmt.Errorf("topic %q is not in topic_arns", topic))
		return
	}
	h.process(w, r, &consumer.Message{ID: id, Body: body, ReceivedAt: received, Source: Source}, topic)
}

// process hands m to the processor and answers 200 only if it was
// acknowledged.
func (h *Handler) process(w http.ResponseWriter, r *http.Request, m *consumer.Message, topic string) {
	outs := h.proc.Process(r.Context(), []*consumer.Message{m})
	if len(outs) != 1 {
		h.stats.Failed.Add(1)
		h.log.Error("snshttp: processor broke its contract: want one outcome per message",
			"message_id", m.ID, "outcomes", len(outs))
		http.Error(w, "notification not processed", http.StatusInternalServerError)
		return
	}
	if !outs[0].Acked() {
		h.stats.Failed.Add(1)
		h.log.Warn("snshttp: notification not processed; SNS will redeliver it",
			"message_id", m.ID, "topic_arn", topic, "outcome", outs[0].String())
		http.Error(w, "notification not processed", http.StatusInternalServerError)
		return
	}
	h.stats.Processed.Add(1)
	h.log.Debug("snshttp: notification processed", "message_id", m.ID, "topic_arn", topic, "outcome", outs[0].String())
	w.WriteHeader(http.StatusOK)
}

// reject counts and logs a refused request and answers it. err is the
// detail for the log; the client gets only text.
func (h *Handler) reject(w http.ResponseWriter, r *http.Request, reason Reason, status int, text string, err error) {
	h.stats.Rejected[reason].Add(1)
	level := slog.LevelWarn
	if reason == ReasonMethod || reason == ReasonTooLarge {
		level = slog.LevelDebug // scanners and strays, not SNS
	}
	attrs := []any{"reason", reason.String(), "status", status, "remote_addr", r.RemoteAddr,
		"message_id", r.Header.Get(HeaderMessageID)}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	h.log.Log(r.Context(), level, "snshttp: request rejected", attrs...)
	http.Error(w, text, status)
}

// classify maps a verification error to a reason and a status: 5xx for a
// certificate fetch (it may pass, and SNS retries 5xx), 400 for what is not
// an SNS message, 403 for what cannot be authenticated.
func classify(err error) (Reason, int) {
	switch {
	case errors.Is(err, snsverify.ErrCertFetch):
		return ReasonCertUnavailable, http.StatusBadGateway
	case errors.Is(err, snsverify.ErrMalformed), errors.Is(err, snsverify.ErrUnknownType),
		errors.Is(err, snsverify.ErrMissingField):
		return ReasonMalformed, http.StatusBadRequest
	}
	return ReasonUnauthenticated, http.StatusForbidden
}

func (h *Handler) topicAllowed(arn string) bool { return h.topics == nil || h.topics[arn] }

// urlAllowed applies the checks snsverify applies to SigningCertURL (scheme,
// no user info, host pattern) to another URL SNS gives, the SubscribeURL.
func (h *Handler) urlAllowed(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && h.cfg.AllowHTTPCerts:
	default:
		return fmt.Errorf("scheme %q is not allowed", u.Scheme)
	}
	if u.User != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%q is not a plain URL", raw)
	}
	host := u.Hostname()
	if h.cfg.MatchHostPort {
		host = u.Host
	}
	if !h.hosts.MatchString(host) {
		return fmt.Errorf("host %q does not match cert_host_pattern", host)
	}
	return nil
}

// attributes keeps the String and Number attributes (any custom suffix,
// String.Array included) of a notification, by name.
func attributes(in map[string]snsverify.Attribute) map[string]string {
	var out map[string]string
	for name, a := range in {
		base, _, _ := strings.Cut(a.Type, ".")
		if base != "String" && base != "Number" {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(in))
		}
		out[name] = a.Value
	}
	return out
}
