package metrics

import (
	"runtime"
	"time"
)

// RegisterProcess adds the process metrics Prometheus clients conventionally
// export: CPU time, start time and goroutines. The CPU counter is what tells
// a benchmark how much of the machine the server itself used.
func (r *Registry) RegisterProcess() {
	start := float64(time.Now().UnixNano()) / 1e9
	r.NewCounterFunc("process_cpu_seconds_total", "User and system CPU time spent by the process, in seconds.", nil,
		func(emit func(float64, ...string)) {
			if d, ok := ProcessCPU(); ok {
				emit(d.Seconds())
			}
		})
	r.NewGaugeFunc("process_start_time_seconds", "When the process started, in seconds since the Unix epoch.", nil,
		func(emit func(float64, ...string)) { emit(start) })
	r.NewGaugeFunc("go_goroutines", "Goroutines that currently exist.", nil,
		func(emit func(float64, ...string)) { emit(float64(runtime.NumGoroutine())) })
}
