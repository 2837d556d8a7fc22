package topic

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"

	"github.com/herald-dev/herald/internal/httpx"
)

// httpPoster is the default Poster: net/http with a timeout per attempt.
type httpPoster struct {
	client *http.Client
}

// NewHTTPPoster returns a Poster whose attempts time out after timeout. It
// does not follow redirects: SNS treats them as failures.
func NewHTTPPoster(timeout time.Duration) Poster {
	return &httpPoster{client: &http.Client{
		Timeout:   timeout,
		Transport: httpx.Transport(64),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

func (p *httpPoster) Post(ctx context.Context, url string, header map[string]string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range header {
		req.Header[http.CanonicalHeaderKey(k)] = []string{v}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
