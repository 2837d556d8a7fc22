//go:build !unix

package metrics

import "time"

// ProcessCPU reports that the process's CPU time is unknown here.
func ProcessCPU() (time.Duration, bool) { return 0, false }
