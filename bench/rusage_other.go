//go:build !unix

package bench

import "time"

// cpuTime reports no figure where getrusage is missing.
func cpuTime() (time.Duration, bool) { return 0, false }
