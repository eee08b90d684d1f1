package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/scv-go/scv"
)

// lookupRun is the timed pass of ByPhone lookups.
type lookupRun struct {
	n         int
	p50, p99  time.Duration
	p999, max time.Duration
	// floorP50 and floorP99 are the quantiles of a fixed computation
	// timed the same way: the machine's own spread.
	floorP50, floorP99 time.Duration
	errs               map[string]int
	firstOther         string
	warmTook           time.Duration
	timedWall          time.Duration
	timedCPU           time.Duration
}

// lookups looks up n phones drawn at random from known, once to warm the
// caches and once timing each call.
func lookups(ctx context.Context, db *scv.DB, known []string, n int, seed uint64) (lookupRun, error) {
	run := lookupRun{n: n, errs: map[string]int{}}
	if len(known) == 0 {
		return run, errors.New("no phone is known to be in the database")
	}
	r := rand.New(rand.NewPCG(seed, 0x100c))
	sample := make([]string, n)
	for i := range sample {
		sample[i] = known[r.IntN(len(known))]
	}
	start := time.Now()
	for _, ph := range sample {
		_, _ = db.ByPhone(ctx, ph) // errors are counted in the timed pass
		if err := ctx.Err(); err != nil {
			return run, err
		}
	}
	run.warmTook = time.Since(start)
	took := make([]time.Duration, n)
	wall, cpu0 := time.Now(), cpuTime()
	for i, ph := range sample {
		t0 := time.Now()
		_, err := db.ByPhone(ctx, ph)
		took[i] = time.Since(t0)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return run, ctx.Err()
			case errors.Is(err, scv.ErrNotFound):
				run.errs["not_found"]++
			case errors.Is(err, scv.ErrHub):
				run.errs["hub"]++
			case errors.Is(err, scv.ErrAmbiguous):
				run.errs["ambiguous"]++
			default:
				if run.errs["other"] == 0 {
					run.firstOther = err.Error() // library errors name no personal data
				}
				run.errs["other"]++
			}
		}
	}
	run.timedWall, run.timedCPU = time.Since(wall), cpuTime()-cpu0
	slices.Sort(took)
	run.p50, run.p99, run.p999, run.max = quantile(took, 0.50), quantile(took, 0.99), quantile(took, 0.999), took[len(took)-1]
	run.floorP50, run.floorP99 = noiseFloor(n)
	return run, nil
}

// quantile returns the q quantile of sorted.
func quantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// noiseFloor times n runs of one fixed computation (SHA-256 of 32 KiB,
// no allocation, no I/O) the way the lookups are timed and returns the
// median and the 99th percentile: how far this machine alone spreads the
// time of identical work.
func noiseFloor(n int) (p50, p99 time.Duration) {
	buf := make([]byte, 32<<10)
	took := make([]time.Duration, n)
	var sum [sha256.Size]byte
	for i := range took {
		t0 := time.Now()
		buf[0] = sum[0] // each run depends on the last
		sum = sha256.Sum256(buf)
		took[i] = time.Since(t0)
	}
	slices.Sort(took)
	return quantile(took, 0.50), quantile(took, 0.99)
}
