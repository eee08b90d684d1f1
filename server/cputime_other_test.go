//go:build !unix

package server

import "time"

// cpuTime returns 0 where getrusage is missing: the benchmark then
// reports no CPU figures.
func cpuTime() time.Duration { return 0 }
