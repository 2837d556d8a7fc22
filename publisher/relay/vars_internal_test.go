package relay

import "time"

var fixedNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
