package snshttp

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/herald-dev/herald/internal/snsverify"
)

// confirmResponse is the part of SNS's ConfirmSubscription answer that is
// read (any XML namespace).
type confirmResponse struct {
	XMLName xml.Name `xml:"ConfirmSubscriptionResponse"`
	Result  struct {
		SubscriptionArn string `xml:"SubscriptionArn"`
	} `xml:"ConfirmSubscriptionResult"`
}

// confirm handles a verified SubscriptionConfirmation.
func (h *Handler) confirm(w http.ResponseWriter, r *http.Request, m *snsverify.Message) {
	h.stats.Confirmations.Add(1)
	if !h.cfg.autoConfirm() {
		h.log.Warn("snshttp: subscription awaits confirmation; auto_confirm is off, visit subscribe_url to confirm it",
			"topic_arn", m.TopicArn, "subscribe_url", m.SubscribeURL)
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := h.urlAllowed(m.SubscribeURL); err != nil {
		h.reject(w, r, ReasonSubscribeURL, http.StatusForbidden, "SubscribeURL not allowed",
			fmt.Errorf("SubscribeURL %q: %w", m.SubscribeURL, err))
		return
	}
	arn, err := h.visit(r.Context(), m.SubscribeURL)
	if err != nil {
		h.stats.ConfirmFailed.Add(1)
		h.log.Warn("snshttp: confirming a subscription failed; SNS will send the confirmation again",
			"topic_arn", m.TopicArn, "message_id", m.MessageId, "err", err)
		http.Error(w, "subscription not confirmed", http.StatusBadGateway)
		return
	}
	h.stats.Confirmed.Add(1)
	h.log.Info("snshttp: subscription confirmed", "topic_arn", m.TopicArn, "subscription_arn", arn)
	w.WriteHeader(http.StatusOK)
}

// visit GETs a SubscribeURL, bounded by ConfirmTimeout, and returns the
// SubscriptionArn of the answer. A 200 answer confirms the subscription;
// when its body cannot be read as a ConfirmSubscriptionResponse the ARN is
// returned empty, without error. Any other status, or no answer, is an
// error.
func (h *Handler) visit(ctx context.Context, subscribeURL string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.ConfirmTimeout.Or(DefaultConfirmTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, subscribeURL, nil)
	if err != nil {
		return "", fmt.Errorf("snshttp: confirm subscription: %w", err)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("snshttp: confirm subscription: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxConfirmResponseBytes))
	if err != nil {
		return "", fmt.Errorf("snshttp: confirm subscription: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("snshttp: confirm subscription: %s answered HTTP %d: %s",
			req.URL.Host, resp.StatusCode, snippet(data))
	}
	var cr confirmResponse
	if err := xml.Unmarshal(data, &cr); err != nil {
		return "", nil
	}
	return cr.Result.SubscriptionArn, nil
}

// snippet is the start of an error answer, on one line, for a log.
func snippet(b []byte) string {
	const max = 200
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > max {
		n := max
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return s
}
