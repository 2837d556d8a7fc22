package metrics

import (
	"strings"
	"testing"
	"time"
)

// scrape renders r and returns the value of the unlabelled sample name.
func scrape(t *testing.T, r *Registry, name string) float64 {
	t.Helper()
	var b strings.Builder
	r.Render(&b)
	v, ok, err := Sample(strings.NewReader(b.String()), name)
	if err != nil || !ok {
		t.Fatalf("%s: %v, %v in\n%s", name, ok, err, b.String())
	}
	return v
}

func TestRegisterProcess(t *testing.T) {
	r := NewRegistry()
	r.RegisterProcess()
	if _, ok := ProcessCPU(); !ok {
		t.Skip("no CPU time on this platform")
	}
	before := scrape(t, r, "process_cpu_seconds_total")
	// Burn 50 ms of CPU (however long that takes on a busy machine); the
	// counter must show it.
	cpu0, _ := ProcessCPU()
	x := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); x++ {
		if c, _ := ProcessCPU(); c-cpu0 >= 50*time.Millisecond {
			break
		}
	}
	if d := scrape(t, r, "process_cpu_seconds_total") - before; d < 0.05 {
		t.Errorf("process_cpu_seconds_total grew by %.3fs after 50 ms of spinning (%d loops)", d, x)
	}
	if st := scrape(t, r, "process_start_time_seconds"); st < float64(time.Now().Add(-time.Minute).Unix()) || st > float64(time.Now().Unix()+1) {
		t.Errorf("process_start_time_seconds %v is not about now", st)
	}
	if g := scrape(t, r, "go_goroutines"); g < 1 {
		t.Errorf("go_goroutines %v", g)
	}
}
