package metrics

import (
	"strings"
	"testing"
)

func TestSample(t *testing.T) {
	const scrape = `# HELP x_total Things.
# TYPE x_total counter
x_total 3
x_total_bytes 99
y{a="b",c="d"} 1.5e+06
z not-a-number
`
	for _, c := range []struct {
		sample string
		want   float64
		ok     bool
		err    bool
	}{
		{"x_total", 3, true, false},
		{"x_total_bytes", 99, true, false},
		{`y{a="b",c="d"}`, 1.5e6, true, false},
		{"y", 0, false, false},
		{"x", 0, false, false},
		{"absent", 0, false, false},
		{"z", 0, false, true},
	} {
		v, ok, err := Sample(strings.NewReader(scrape), c.sample)
		if v != c.want || ok != c.ok || (err != nil) != c.err {
			t.Errorf("Sample(%s) = %v, %v, %v; want %v, %v, error %v", c.sample, v, ok, err, c.want, c.ok, c.err)
		}
	}
}
