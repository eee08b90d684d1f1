package main

import (
	"crypto/sha256"
	"runtime"
	"slices"
	"sync"
	"time"
)

// This file measures phases: the rate of an ingest over the whole run and
// over its last tenth, the process's own memory while it ran, and the
// machine's speed on code-independent work in the same run, so that rates
// measured on busy and quiet days compare.

// phaseRun is one measured phase: its wall and process CPU time, the peak
// of the process's own memory (RssAnon: heap and stacks, not the pages of
// the files it maps) while it ran, and the progress it reported.
type phaseRun struct {
	took    time.Duration
	cpu     time.Duration
	ownPeak float64        // MiB: the largest RssAnon sampled during the phase
	marks   []progressMark // in order of done
}

// progressMark says how many items a phase had done at a moment, counted
// from its start.
type progressMark struct {
	done int
	at   time.Duration
}

// ownMemoryEvery is how often a phase samples RssAnon.
const ownMemoryEvery = 50 * time.Millisecond

// measure runs f as one phase, sampling the process's RssAnon every
// ownMemoryEvery from its start to its end, and keeps the progress f
// reports by calling mark with the count of items done so far. Any phase
// that processes items one way or another (the incremental ingest, a bulk
// load) measures the same way: its rate is [phaseRun.rate], the rate of
// its last tenth [phaseRun.tailRate], its own memory ownPeak.
func measure(f func(mark func(done int)) error) (phaseRun, error) {
	var run phaseRun
	a := sampleAnon(ownMemoryEvery)
	start, cpu0 := time.Now(), cpuTime()
	mark := func(done int) {
		run.marks = append(run.marks, progressMark{done, time.Since(start)})
	}
	err := f(mark)
	run.took, run.cpu = time.Since(start), cpuTime()-cpu0
	run.ownPeak = a.peak()
	a.stop()
	return run, err
}

// rate returns n items over the phase's wall time, per second.
func (p phaseRun) rate(n int) float64 { return float64(n) / p.took.Seconds() }

// tailRate returns the rate of the phase's last part of n items: from
// the last progress mark at or before n - n/parts items to the end. With
// no such mark it is the whole phase's rate. A phase that slows down as
// it goes has a tail rate below its average.
func (p phaseRun) tailRate(n, parts int) float64 {
	from := progressMark{}
	for _, m := range p.marks {
		if m.done > n-n/parts {
			break
		}
		from = m
	}
	return float64(n-from.done) / (p.took - from.at).Seconds()
}

// anonSampler samples the process's anonymous resident memory (RssAnon:
// its heap and stacks, as opposed to the pages of files it maps, which
// VmHWM also counts: Badger maps its value log and tables) and keeps the
// largest value.
type anonSampler struct {
	done chan struct{}
	mu   sync.Mutex
	max  float64
}

func sampleAnon(every time.Duration) *anonSampler {
	a := &anonSampler{done: make(chan struct{}), max: procMiB("RssAnon")}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-a.done:
				return
			case <-t.C:
				v := procMiB("RssAnon")
				a.mu.Lock()
				a.max = max(a.max, v)
				a.mu.Unlock()
			}
		}
	}()
	return a
}

func (a *anonSampler) peak() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return max(a.max, procMiB("RssAnon"))
}

func (a *anonSampler) stop() { close(a.done) }

// reference is the machine's speed on fixed, code-independent work:
// SHA-256 over a fixed buffer on every core the process may use, in MB
// hashed per second, timed right before and right after each phase whose
// rate is normalised, so that each rate is divided by the machine's speed
// around it.
type reference struct {
	samples []float64          // MB/s, in the order taken
	phases  map[string]float64 // MB/s: the mean of the samples around each phase
}

// around runs f between two samples and keeps their mean as the
// reference of phase.
func (r *reference) around(phase string, f func() error) error {
	r.sample()
	err := f()
	r.sample()
	if r.phases == nil {
		r.phases = map[string]float64{}
	}
	n := len(r.samples)
	r.phases[phase] = (r.samples[n-2] + r.samples[n-1]) / 2
	return err
}

// of returns the reference of phase; 0 when it was not measured.
func (r *reference) of(phase string) float64 { return r.phases[phase] }

// referenceBytes is what each core hashes per sample: 16 MiB, about 0.02 s
// on a current core.
const referenceBytes = 16 << 20

// sample times one pass of the reference work and keeps its speed.
func (r *reference) sample() {
	procs := runtime.GOMAXPROCS(0)
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	var wg sync.WaitGroup
	start := time.Now()
	for range procs {
		wg.Go(func() {
			h := sha256.New()
			for range referenceBytes / len(buf) {
				h.Write(buf)
			}
			h.Sum(nil)
		})
	}
	wg.Wait()
	r.samples = append(r.samples, float64(procs*referenceBytes)/1e6/time.Since(start).Seconds())
}

// mbps returns the median speed sampled, in MB/s; 0 before any sample.
func (r *reference) mbps() float64 {
	if len(r.samples) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(r.samples))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread returns the slowest and the fastest sample, in MB/s.
func (r *reference) spread() (lo, hi float64) {
	if len(r.samples) == 0 {
		return 0, 0
	}
	return slices.Min(r.samples), slices.Max(r.samples)
}

// take returns the peak since the sampler started or since the last take,
// and starts a new period.
func (a *anonSampler) take() float64 {
	now := procMiB("RssAnon")
	a.mu.Lock()
	defer a.mu.Unlock()
	p := max(a.max, now)
	a.max = now
	return p
}
