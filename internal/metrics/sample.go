package metrics

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Sample reads from r, a scrape in the text exposition format, the value of
// one sample, named as it stands there: the metric's name with its labels,
// e.g. `herald_sqs_requests_total{action="SendMessage",protocol="json",code=""}`.
// ok is false when r holds no such sample.
func Sample(r io.Reader, sample string) (v float64, ok bool, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if rest, found := strings.CutPrefix(sc.Text(), sample+" "); found {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				return 0, false, fmt.Errorf("metrics: sample %s: %w", sample, err)
			}
			return v, true, nil
		}
	}
	return 0, false, sc.Err()
}
