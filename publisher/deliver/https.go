package deliver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/herald-dev/herald/publisher/webhook"
)

// sendHTTPS posts one job, signed with the destination's secrets, waiting
// first for a slot among Config.HTTPSPerHost for its host.
func (d *Dispatcher) sendHTTPS(ctx context.Context, j *Job) Result {
	dst := j.Destination
	op := "https POST to " + dst.URL
	secrets := make([]webhook.Secret, 0, len(dst.Secrets))
	for k, s := range dst.Secrets {
		sec, err := webhook.ParseSecret(s)
		if err != nil {
			return fail(permanent("", "%s: secrets[%d]: %w", op, k, err))
		}
		secrets = append(secrets, sec)
	}
	sem := d.hostSlots(dst.URL)
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return fail(ctxError(op, ctx.Err()))
	}
	defer func() { <-sem }()

	r, err := d.webhook.Send(ctx, dst.URL, j.ID, j.Message, secrets)
	if err != nil {
		e := &Error{Err: fmt.Errorf("%s: %w", op, err)}
		var we *webhook.Error
		if errors.As(err, &we) {
			e.Permanent = !we.Retriable
			e.RetryAfter = we.RetryAfter
			if we.Status != 0 {
				e.Code = "HTTP " + strconv.Itoa(we.Status)
			}
			// 409 Conflict describes the receiver's state, not the
			// request: the same notification may be accepted later.
			if we.Status == http.StatusConflict {
				e.Permanent = false
			}
		}
		return fail(e)
	}
	return Result{Detail: "HTTP " + strconv.Itoa(r.Status)}
}

// hostSlots returns the semaphore of rawURL's host (host:port, lower
// case), creating it on first use. The semaphores are shared by all Send
// calls and kept for the Dispatcher's life (one per host ever called).
func (d *Dispatcher) hostSlots(rawURL string) chan struct{} {
	host := ""
	if u, err := url.Parse(rawURL); err == nil {
		host = strings.ToLower(u.Host)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	sem, ok := d.hosts[host]
	if !ok {
		sem = make(chan struct{}, d.cfg.HTTPSPerHost)
		d.hosts[host] = sem
	}
	return sem
}
