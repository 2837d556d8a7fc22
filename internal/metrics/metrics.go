// Package metrics is a small Prometheus text-format registry: counters,
// gauges read at scrape time, and histograms, each with labels. It exists so
// that Herald exposes /metrics without a client-library dependency.
package metrics

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds metric families and writes them in the text exposition
// format.
type Registry struct {
	mu       sync.Mutex
	families []family
}

type family interface {
	write(w io.Writer)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

// Render writes every family in the text exposition format.
func (r *Registry) Render(w io.Writer) {
	r.mu.Lock()
	fs := append([]family(nil), r.families...)
	r.mu.Unlock()
	for _, f := range fs {
		f.write(w)
	}
}

func (r *Registry) add(f family) {
	r.mu.Lock()
	r.families = append(r.families, f)
	r.mu.Unlock()
}

// CounterVec is a counter family with labels.
type CounterVec struct {
	name, help string
	labels     []string
	mu         sync.RWMutex
	values     map[string]*atomic.Uint64
}

// NewCounterVec registers a counter family.
func (r *Registry) NewCounterVec(name, help string, labels ...string) *CounterVec {
	c := &CounterVec{name: name, help: help, labels: labels, values: map[string]*atomic.Uint64{}}
	r.add(c)
	return c
}

// Add adds n to the counter with the given label values.
func (c *CounterVec) Add(n uint64, values ...string) {
	k := strings.Join(values, "\xff")
	c.mu.RLock()
	v := c.values[k]
	c.mu.RUnlock()
	if v == nil {
		c.mu.Lock()
		if v = c.values[k]; v == nil {
			v = new(atomic.Uint64)
			c.values[k] = v
		}
		c.mu.Unlock()
	}
	v.Add(n)
}

func (c *CounterVec) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
	c.mu.RLock()
	keys := sortedKeys(c.values)
	for _, k := range keys {
		fmt.Fprintf(w, "%s%s %d\n", c.name, labelString(c.labels, k), c.values[k].Load())
	}
	c.mu.RUnlock()
}

// GaugeFunc is a gauge family whose samples are read at scrape time.
type GaugeFunc struct {
	name, help string
	labels     []string
	fn         func(emit func(v float64, labelValues ...string))
	typ        string // "gauge" when empty
}

// NewGaugeFunc registers a gauge family computed by fn at each scrape.
func (r *Registry) NewGaugeFunc(name, help string, labels []string, fn func(emit func(v float64, labelValues ...string))) {
	r.add(&GaugeFunc{name: name, help: help, labels: labels, fn: fn})
}

// NewCounterFunc registers a counter family read from fn at each scrape,
// for counters kept elsewhere (atomics of a domain package).
func (r *Registry) NewCounterFunc(name, help string, labels []string, fn func(emit func(v float64, labelValues ...string))) {
	r.add(&GaugeFunc{name: name, help: help, labels: labels, fn: fn, typ: "counter"})
}

func (g *GaugeFunc) write(w io.Writer) {
	typ := g.typ
	if typ == "" {
		typ = "gauge"
	}
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", g.name, g.help, g.name, typ)
	g.fn(func(v float64, lv ...string) {
		fmt.Fprintf(w, "%s%s %s\n", g.name, labelString(g.labels, strings.Join(lv, "\xff")), formatFloat(v))
	})
}

// HistogramVec is a histogram family with labels.
type HistogramVec struct {
	name, help string
	labels     []string
	buckets    []float64
	mu         sync.Mutex
	values     map[string]*histogram
}

type histogram struct {
	counts []uint64
	count  uint64
	sum    float64
}

// NewHistogramVec registers a histogram family with the given upper bounds.
func (r *Registry) NewHistogramVec(name, help string, buckets []float64, labels ...string) *HistogramVec {
	h := &HistogramVec{name: name, help: help, labels: labels, buckets: buckets, values: map[string]*histogram{}}
	r.add(h)
	return h
}

// Observe records v.
func (h *HistogramVec) Observe(v float64, values ...string) {
	k := strings.Join(values, "\xff")
	h.mu.Lock()
	x := h.values[k]
	if x == nil {
		x = &histogram{counts: make([]uint64, len(h.buckets))}
		h.values[k] = x
	}
	for i, b := range h.buckets {
		if v <= b {
			x.counts[i]++
		}
	}
	x.count++
	x.sum += v
	h.mu.Unlock()
}

func (h *HistogramVec) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.name, h.help, h.name)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range sortedKeys(h.values) {
		x := h.values[k]
		for i, b := range h.buckets {
			fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, labelString(append(h.labels, "le"), k+"\xff"+formatFloat(b)), x.counts[i])
		}
		fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, labelString(append(h.labels, "le"), k+"\xff+Inf"), x.count)
		fmt.Fprintf(w, "%s_sum%s %s\n", h.name, labelString(h.labels, k), formatFloat(x.sum))
		fmt.Fprintf(w, "%s_count%s %d\n", h.name, labelString(h.labels, k), x.count)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func labelString(names []string, joined string) string {
	if len(names) == 0 {
		return ""
	}
	vals := strings.Split(joined, "\xff")
	if len(names) == 1 && len(vals) > 1 && names[0] != "le" {
		vals = []string{joined}
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		v := ""
		if i < len(vals) {
			v = vals[i]
		}
		fmt.Fprintf(&b, "%s=%q", n, v)
	}
	b.WriteByte('}')
	return b.String()
}

func formatFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return fmt.Sprintf("%g", v)
}
