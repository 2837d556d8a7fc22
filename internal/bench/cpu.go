package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/herald-dev/herald/internal/metrics"
)

// cpuUse is the CPU time used so far by the benchmark process (the
// clients) and by the broker, which reports its own on /metrics as
// process_cpu_seconds_total. A figure that could not be read is zero, as a
// running process never reads.
type cpuUse struct {
	client, broker time.Duration
}

// cpuNow reads both CPU clocks.
func (r *runner) cpuNow(ctx context.Context) cpuUse {
	var u cpuUse
	u.client, _ = metrics.ProcessCPU()
	u.broker, _ = brokerCPU(ctx, r.cfg.Endpoint)
	return u
}

// since returns the CPU used between then and u, each part zero when
// either reading of it failed.
func (u cpuUse) since(then cpuUse) cpuUse {
	diff := func(now, before time.Duration) time.Duration {
		if now <= 0 || before <= 0 {
			return 0
		}
		return now - before
	}
	return cpuUse{client: diff(u.client, then.client), broker: diff(u.broker, then.broker)}
}

var metricsClient = &http.Client{Timeout: 2 * time.Second}

// brokerCPU scrapes process_cpu_seconds_total from the broker at endpoint.
func brokerCPU(ctx context.Context, endpoint string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(endpoint, "/")+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := metricsClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	v, ok, err := metrics.Sample(resp.Body, "process_cpu_seconds_total")
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("the broker's /metrics has no process_cpu_seconds_total")
	}
	return time.Duration(v * float64(time.Second)), nil
}

// perMsg is d divided by n messages, or -1 when either is unknown.
func perMsg(d time.Duration, n int64) time.Duration {
	if d <= 0 || n <= 0 {
		return -1
	}
	return d / time.Duration(n)
}

// cpuNote describes the CPU cost per message of r, and on a broker on this
// machine the rate at which the two would fill every core.
func (r *Result) cpuNote() string {
	c, b := perMsg(r.ClientCPU, r.Messages), perMsg(r.BrokerCPU, r.Messages)
	if c < 0 && b < 0 {
		return ""
	}
	us := func(d time.Duration) string {
		if d < 0 {
			return "?"
		}
		return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 0, 64) + " µs"
	}
	note := fmt.Sprintf("CPU per msg: client %s, broker %s", us(c), us(b))
	if c > 0 && b > 0 && r.BrokerLocal {
		ceiling := float64(runtime.NumCPU()) * float64(time.Second) / float64(c+b)
		note += fmt.Sprintf(" (all %d cores: %s msgs/s)", runtime.NumCPU(), groupDigits(int64(ceiling)))
	}
	return note
}

// isLocal reports whether endpoint is on this machine.
func isLocal(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	switch h := u.Hostname(); h {
	case "localhost", "127.0.0.1", "::1":
		return true
	default:
		return strings.HasPrefix(h, "127.")
	}
}
