package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/workload"
	"github.com/scv-go/scv/store"
)

// results is everything one run measured.
type results struct {
	machine  machine
	workload prepared
	small    ingestRun
	large    ingestRun
	decode   time.Duration // decoding the N-record files alone
	truth    truth
	stats    scv.Stats
	verify   *verifyResult
	stored   stored
	badger   badgerRun
	phone    phoneRun
	lookups  lookupRun
	stages   stageRun
	quality  *qualityRun  // with -quality
	pg       *pgRun       // with -engine postgres
	peakRSS  float64      // MiB
	peakAnon float64      // MiB: the largest RssAnon sampled
	memory   []memoryMark // the peak RSS after each phase
	// liveAfterIngest is the live Go heap, after a GC, at the end of the
	// N-record ingest, with the database still open.
	liveAfterIngest float64
	head            headline
}

// memoryMark is the peak resident set size (VmHWM) after a phase.
type memoryMark struct {
	phase string
	peak  float64 // MiB
	anon  float64 // MiB: peak anonymous RSS so far
}

// headline is the last line of -json: exactly the keys.
type headline struct {
	IngestRPS    float64 `json:"ingest_rps"`
	BadgerRPS    float64 `json:"badger_rps"`
	IngestRatio  float64 `json:"ingest_ratio"`
	PhoneSpeedup float64 `json:"phone_speedup"`
	ByPhoneP50   float64 `json:"byphone_p50_us"`
	ByPhoneP99   float64 `json:"byphone_p99_us"`
	ByStagePPS   float64 `json:"bystage_pps"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	ScalingRatio float64 `json:"scaling_ratio"`
	// The resolution quality of the China trap workload, with -quality.
	QualityPrecision *float64 `json:"quality_precision,omitempty"`
	QualityRecall    *float64 `json:"quality_recall,omitempty"`
	QualityF1        *float64 `json:"quality_f1,omitempty"`
	QualityCeiling   *float64 `json:"quality_ceiling,omitempty"`
	// PostgreSQL beside Badger, with -engine postgres.
	PGIngestRPS    *float64           `json:"pg_ingest_rps,omitempty"`
	PGIngestRatio  *float64           `json:"pg_ingest_ratio,omitempty"`
	PGByPhoneP50   *float64           `json:"pg_byphone_p50_us,omitempty"`
	PGByPhoneP99   *float64           `json:"pg_byphone_p99_us,omitempty"`
	PGByStagePPS   *float64           `json:"pg_bystage_pps,omitempty"`
	PGProcsRPS     map[string]float64 `json:"pg_procs_rps,omitempty"`
	PGConflictRate *float64           `json:"pg_conflict_rate,omitempty"`
}

// bench runs every measurement in a fresh work directory under c.dir,
// removed at the end unless c.keep, and stops at the first phase that
// fails.
func bench(ctx context.Context, c config, logw io.Writer) (r *results, err error) {
	r = &results{machine: describeMachine()}
	work, err := os.MkdirTemp(c.dir, "scvbench-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if c.keep {
			fmt.Fprintf(logw, "scvbench: kept %s\n", work)
			return
		}
		if rerr := os.RemoveAll(work); rerr != nil && err == nil {
			err = rerr
		}
	}()
	keyFile := filepath.Join(work, "key", "root.key")
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyFile, scv.GenerateKey(), 0o600); err != nil {
		return nil, err
	}
	progress := func(format string, a ...any) {
		fmt.Fprintf(logw, "scvbench: "+format+" (RSS %.0f MiB, peak %.0f MiB)\n", append(a, procMiB("VmRSS"), procMiB("VmHWM"))...)
	}
	anon := sampleAnon(100 * time.Millisecond)
	defer anon.stop()
	mark := func(phase string) {
		r.memory = append(r.memory, memoryMark{phase, procMiB("VmHWM"), anon.peak()})
	}

	// Warm up: the first ingest of a process pays for one-time work
	// (phone metadata, key derivation, code paths never run) that neither
	// timed run should carry.
	progress("warming up")
	if err := warmUp(ctx, work, keyFile, c.seed); err != nil {
		return nil, err
	}
	mark("warm-up")

	// The scaling run: N/10 records into a database of their own, first.
	progress("generating %d records (N/10)", c.n/10)
	small, err := prepare(ctx, work, c.n/10, c.seed)
	if err != nil {
		return nil, err
	}
	db, err := scv.Open(filepath.Join(work, "db-small"), scv.Options{KeyFile: keyFile, Memory: memoryOptions(c.mem), NoAtRestEncryption: c.noAtRest})
	if err != nil {
		return nil, err
	}
	r.small, err = ingest(ctx, c, db, small, progress)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := removeUnlessKept(c, filepath.Join(work, "db-small"), small.dir); err != nil {
		return nil, err
	}
	mark("ingest N/10")

	// The main run.
	progress("generating %d records (N)", c.n)
	large, err := prepare(ctx, work, c.n, c.seed)
	if err != nil {
		return nil, err
	}
	r.workload = *large
	progress("reading the ground truth")
	r.truth = readTruth(large.g)
	mark("workload")
	if !c.stream {
		progress("decoding the files alone")
		if r.decode, err = decodeOnly(large.dir); err != nil {
			return nil, err
		}
	}
	dbDir := filepath.Join(work, "db")
	db, err = scv.Open(dbDir, scv.Options{KeyFile: keyFile, Memory: memoryOptions(c.mem), NoAtRestEncryption: c.noAtRest})
	if err != nil {
		return nil, err
	}
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	err = profiled(c.cpuprofile, func() (err error) {
		r.large, err = ingest(ctx, c, db, large, progress)
		return err
	})
	if err != nil {
		return nil, err
	}
	mark("ingest N")
	r.liveAfterIngest = liveHeapMiB()
	if c.memprofile != "" {
		if err := writeHeapProfile(c.memprofile); err != nil {
			return nil, err
		}
	}
	if r.stats, err = db.Stats(ctx); err != nil {
		return nil, err
	}
	if c.verify {
		progress("verifying")
		if r.verify, err = verify(ctx, db); err != nil {
			return nil, err
		}
		mark("verify")
	}
	progress("%d ByPhone lookups", c.lookups)
	if err := profiled(phaseProfile(c.cpuprofile, "byphone"), func() (err error) {
		r.lookups, err = lookups(ctx, db, r.truth.knownPhones, c.lookups, c.seed)
		return err
	}); err != nil {
		return nil, err
	}
	mark("lookups")
	progress("streaming every stage")
	if err := profiled(phaseProfile(c.cpuprofile, "bystage"), func() (err error) {
		r.stages, err = streamStages(ctx, db)
		return err
	}); err != nil {
		return nil, err
	}
	mark("stages")
	err = db.Close()
	db = nil
	if err != nil {
		return nil, err
	}
	if c.engine == "postgres" {
		if r.pg, err = benchPostgres(ctx, c, large, keyFile, r.truth.knownPhones, progress); err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
		mark("postgres")
	}

	progress("scanning what the store wrote")
	if r.stored, err = scanStored(dbDir, keyFile, !c.noAtRest, c.mem, logw); err != nil {
		return nil, err
	}
	if r.stored.disk, err = diskUsage(dbDir); err != nil {
		return nil, err
	}
	if err := removeUnlessKept(c, dbDir, large.dir); err != nil {
		return nil, err
	}
	r.stored.perRecord = float64(r.stored.keyBytes+r.stored.valueBytes) / float64(c.n)
	mark("scan")

	progress("writing %d values through a Badger WriteBatch", c.n)
	m := c.mem
	job := childJob{Dir: filepath.Join(work, "badger"), N: c.n, PerRecord: r.stored.perRecord, Seed: c.seed, AtRest: !c.noAtRest,
		MemTableSize: m.MemTableSize, NumMemtables: m.NumMemtables, BlockCacheSize: m.BlockCacheSize,
		IndexCacheSize: m.IndexCacheSize, ValueThreshold: m.ValueThreshold, ValueLogFileSize: m.ValueLogFileSize}
	if r.badger, err = rawBadgerApart(ctx, job, logw); err != nil {
		return nil, err
	}
	if err := removeUnlessKept(c, filepath.Join(work, "badger")); err != nil {
		return nil, err
	}

	progress("timing phone parsers")
	r.phone = phones(large.g, c.n)
	mark("phone")

	r.peakRSS = procMiB("VmHWM")
	r.peakAnon = anon.peak()
	if c.quality {
		progress("measuring resolution quality on the China trap workload of %d records", c.n)
		if r.quality, err = quality(ctx, c, work, keyFile); err != nil {
			return nil, err
		}
	}
	r.head = headlineOf(r)
	return r, nil
}

// profiled runs f, writing a CPU profile of it to path unless path is
// empty.
func profiled(path string, f func() error) error {
	if path == "" {
		return f()
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return err
	}
	err = f()
	pprof.StopCPUProfile()
	return errors.Join(err, out.Close())
}

// phaseProfile names the CPU profile of a later phase after the ingest's:
// cpu.prof gives cpu-byphone.prof.
func phaseProfile(path, phase string) string {
	if path == "" {
		return ""
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + phase + ext
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

// liveHeapMiB returns the live Go heap after a garbage collection, in MiB.
func liveHeapMiB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// writeHeapProfile writes a heap profile (live objects after a GC, and
// allocations since the start) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	err = pprof.Lookup("heap").WriteTo(f, 0)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// diskUsage returns the bytes of the files under dir.
func diskUsage(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}

func removeUnlessKept(c config, dirs ...string) error {
	if c.keep {
		return nil
	}
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	return nil
}

// warmUp ingests a small workload of another seed into a throwaway
// database, untimed.
func warmUp(ctx context.Context, work, keyFile string, seed uint64) error {
	g, err := workload.New(workload.Config{Records: 500, Seed: seed + 1})
	if err != nil {
		return err
	}
	dir := filepath.Join(work, "db-warm-up")
	db, err := scv.Open(dir, scv.Options{KeyFile: keyFile})
	if err != nil {
		return err
	}
	_, err = db.IngestAll(ctx, g.Records(), scv.IngestOptions{})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// prepared is a workload written to disk.
type prepared struct {
	g     *workload.Generator
	dir   string
	bytes int64
	took  time.Duration
}

// prepare writes the native files of an n-record workload under work. Only
// the data files: the ground truth comes from the generator itself.
func prepare(ctx context.Context, work string, n int, seed uint64) (*prepared, error) {
	start := time.Now()
	g, err := workload.New(workload.Config{Records: n, Seed: seed})
	if err != nil {
		return nil, err
	}
	p := &prepared{g: g, dir: filepath.Join(work, fmt.Sprintf("data-%d", n))}
	for _, f := range workload.Files() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		path := filepath.Join(p.dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		fh, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		m, err := io.Copy(fh, g.Open(f))
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		p.bytes += m
	}
	p.took = time.Since(start)
	return p, nil
}

// ingestRun is one timed ingest.
type ingestRun struct {
	n    int
	took time.Duration
	cpu  time.Duration // CPU time of the whole process meanwhile
	sum  scv.Summary
}

func (r ingestRun) rps() float64 { return float64(r.sum.Read) / r.took.Seconds() }

// ingest times DB.IngestAll over a prepared workload: decoding its files,
// or with -stream the generator's stream.
func ingest(ctx context.Context, c config, db *scv.DB, p *prepared, progress func(string, ...any)) (ingestRun, error) {
	src := workload.ReadDir(p.dir)
	if c.stream {
		src = p.g.Records()
	}
	n := p.g.NumRecords()
	progress("ingesting %d records", n)
	last := time.Now()
	start, cpu0 := last, cpuTime()
	opts := scv.IngestOptions{BatchSize: c.batch, Progress: func(s scv.Summary) {
		if now := time.Now(); now.Sub(last) >= 10*time.Second {
			last = now
			progress("  %d of %d records, %.0f records/s", s.Read, n, float64(s.Read)/now.Sub(start).Seconds())
		}
	}}
	sum, err := db.IngestAll(ctx, src, opts)
	run := ingestRun{n: n, took: time.Since(start), cpu: cpuTime() - cpu0, sum: sum}
	if err != nil {
		return run, fmt.Errorf("ingest of %d records: %w", n, err)
	}
	if sum.Read != n {
		return run, fmt.Errorf("ingest of %d records read %d", n, sum.Read)
	}
	return run, nil
}

// decodeOnly times identity.Decode over the workload files alone.
func decodeOnly(dir string) (time.Duration, error) {
	start := time.Now()
	for _, err := range workload.ReadDir(dir) {
		if err != nil && !errors.As(err, new(*identity.RecordError)) {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// truth is what the generator says the database must hold.
type truth struct {
	people      int
	multi       int
	paidOrders  int
	spendFen    int64
	knownPhones []string
}

func readTruth(g *workload.Generator) truth {
	var t truth
	for p := range g.People() {
		t.people++
		if p.MultiChannel() {
			t.multi++
		}
		t.paidOrders += p.PaidOrders
		t.spendFen += p.SpendFen
		if p.PhoneKnown {
			t.knownPhones = append(t.knownPhones, p.Phone)
		}
	}
	return t
}

type verifyResult struct {
	took     time.Duration
	problems int
	first    string
}

func verify(ctx context.Context, db *scv.DB) (*verifyResult, error) {
	start := time.Now()
	rep, err := db.Verify(ctx)
	if err != nil {
		return nil, err
	}
	v := &verifyResult{took: time.Since(start), problems: len(rep.Problems)}
	if len(rep.Problems) > 0 {
		v.first = rep.Problems[0] // names keys by namespace and hex, never personal data
	}
	return v, nil
}

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

// stageRun is the timed stream of every stage.
type stageRun struct {
	profiles   int
	byStage    map[scv.Stage]int
	took       time.Duration
	cpu        time.Duration
	paidOrders int
	spendFen   int64
}

func streamStages(ctx context.Context, db *scv.DB) (stageRun, error) {
	run := stageRun{byStage: map[scv.Stage]int{}}
	start, cpu0 := time.Now(), cpuTime()
	for _, st := range scv.Stages {
		for p, err := range db.ByStage(ctx, st, scv.Filter{}) {
			if err != nil {
				return run, fmt.Errorf("stage %s: %w", st, err)
			}
			run.profiles++
			run.byStage[st]++
			run.paidOrders += p.Metrics.Orders
			run.spendFen += p.Metrics.SpendFen
		}
	}
	run.took, run.cpu = time.Since(start), cpuTime()-cpu0
	return run, nil
}

// rootKey reads the run's key file.
func rootKey(keyFile string) (*crypto.RootKey, error) {
	text, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	return crypto.ParseRootKey(text)
}

// phoneRun compares the two phone parsers.
type phoneRun struct {
	inputs, calls int
	fast, ref     time.Duration
	disagree      int
	refused       int
}

func (r phoneRun) fastNs() float64 { return float64(r.fast.Nanoseconds()) / float64(r.calls) }
func (r phoneRun) refNs() float64  { return float64(r.ref.Nanoseconds()) / float64(r.calls) }

// phones times identity.ParsePhone against phonenumbers.Parse and Format
// over the same spellings, after checking that they agree on each.
func phones(g *workload.Generator, n int) phoneRun {
	spellings := g.PhoneSpellings(min(n, 100_000))
	run := phoneRun{inputs: len(spellings)}
	reps := max(1, min(10*n, 1_000_000)/len(spellings))
	run.calls = reps * len(spellings)
	for _, s := range spellings {
		fast, ferr := identity.ParsePhone(s, "CN")
		ref, rerr := referenceParse(s)
		switch {
		case ferr != nil || rerr != nil:
			run.refused++
		case fast.String() != ref:
			run.disagree++
		}
	}
	// Each timed loop adds up the lengths of the E.164 strings it made, so
	// that neither can be optimised away; the sums must agree.
	timeIt := func(parse func(string) int) (time.Duration, int) {
		sum := 0
		start := time.Now()
		for range reps {
			for _, s := range spellings {
				sum += parse(s)
			}
		}
		return time.Since(start), sum
	}
	var fastSum, refSum int
	run.fast, fastSum = timeIt(func(s string) int {
		p, err := identity.ParsePhone(s, "CN")
		if err != nil {
			return 0
		}
		return len(p.String())
	})
	run.ref, refSum = timeIt(func(s string) int {
		e, err := referenceParse(s)
		if err != nil {
			return 0
		}
		return len(e)
	})
	if fastSum != refSum {
		run.disagree = max(run.disagree, 1)
	}
	return run
}

func headlineOf(r *results) headline {
	h := headline{
		IngestRPS:  round(r.large.rps(), 1),
		BadgerRPS:  round(r.badger.rps(), 1),
		ByPhoneP50: round(float64(r.lookups.p50.Nanoseconds())/1e3, 1),
		ByPhoneP99: round(float64(r.lookups.p99.Nanoseconds())/1e3, 1),
		PeakRSSMiB: round(r.peakRSS, 1),
	}
	h.IngestRatio = round(r.large.rps()/r.badger.rps(), 3)
	h.PhoneSpeedup = round(r.phone.refNs()/r.phone.fastNs(), 2)
	h.ByStagePPS = round(float64(r.stages.profiles)/r.stages.took.Seconds(), 1)
	h.ScalingRatio = round(r.large.rps()/r.small.rps(), 3)
	if q := r.quality; q != nil {
		f := func(x float64) *float64 { v := round(x, 4); return &v }
		h.QualityPrecision, h.QualityRecall, h.QualityF1, h.QualityCeiling = f(q.q.Precision), f(q.q.Recall), f(q.q.F1), f(q.q.Ceiling)
	}
	if pg := r.pg; pg != nil {
		f := func(x float64, places int) *float64 { v := round(x, places); return &v }
		h.PGIngestRPS = f(pg.ingest.rps(), 1)
		h.PGIngestRatio = f(pg.ingest.rps()/r.large.rps(), 3)
		h.PGByPhoneP50 = f(float64(pg.lookups.p50.Nanoseconds())/1e3, 1)
		h.PGByPhoneP99 = f(float64(pg.lookups.p99.Nanoseconds())/1e3, 1)
		h.PGByStagePPS = f(float64(pg.stages.profiles)/pg.stages.took.Seconds(), 1)
		h.PGProcsRPS = map[string]float64{}
		var updates, conflicts int64
		for _, p := range pg.procs {
			h.PGProcsRPS[strconv.Itoa(p.procs)] = round(p.rps(), 1)
			updates += p.updates
			conflicts += p.conflict
		}
		h.PGConflictRate = f(float64(conflicts)/float64(max(updates, 1)), 4)
	}
	return h
}

// memoryOptions returns the memory settings of mem as scv.Open takes
// them, so that the store and raw Badger run with the same.
func memoryOptions(mem store.BadgerOptions) scv.MemoryOptions {
	return scv.MemoryOptions{MemTableSize: mem.MemTableSize, NumMemtables: mem.NumMemtables, BlockCacheSize: mem.BlockCacheSize,
		IndexCacheSize: mem.IndexCacheSize, ValueThreshold: mem.ValueThreshold, ValueLogFileSize: mem.ValueLogFileSize,
		Readahead: mem.Readahead}
}
