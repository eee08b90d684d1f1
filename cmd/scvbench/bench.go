package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
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
	bulk     bulkRun      // unless -bulk=false
	ref      reference    // the machine's speed on fixed work, sampled through the run
	peakRSS  float64      // MiB
	peakAnon float64      // MiB: the largest RssAnon sampled
	memory   []memoryMark // the peak RSS after each phase
	// liveAfterIngest is the live Go heap, after a GC, at the end of the
	// N-record ingest, with the database still open.
	liveAfterIngest float64
	head            headline
}

// memoryMark is the peak resident set size (VmHWM) after a phase, and the
// peak of the process's own memory (RssAnon) during it.
type memoryMark struct {
	phase string
	peak  float64 // MiB
	anon  float64 // MiB: peak RssAnon sampled during the phase
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
	OwnRSSMiB    float64 `json:"own_rss_mib"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	ScalingRatio float64 `json:"scaling_ratio"`
	// The machine's speed on fixed work (SHA-256 on every core) in this
	// run, and the rates above divided by it.
	RefSHA256MBps  float64 `json:"ref_sha256_mbps"`
	IngestRPSNorm  float64 `json:"ingest_rps_norm"`
	BadgerRPSNorm  float64 `json:"badger_rps_norm"`
	ByStagePPSNorm float64 `json:"bystage_pps_norm"`
	// The bulk load of the same N records into a fresh database, in a
	// process of its own: records read per second, against raw Badger,
	// and the child's own memory (RssAnon) and VmHWM.
	BulkRPS        float64 `json:"bulk_rps"`
	BulkRatio      float64 `json:"bulk_ratio"`
	BulkOwnRSSMiB  float64 `json:"bulk_own_rss_mib"`
	BulkPeakRSSMiB float64 `json:"bulk_peak_rss_mib"`
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

// workDir makes a fresh work directory under c.dir with a new root key
// in it. done removes it unless c.keep, setting *err if that fails and
// *err is nil.
func workDir(c config, logw io.Writer) (work, keyFile string, done func(err *error), err error) {
	if work, err = os.MkdirTemp(c.dir, "scvbench-"); err != nil {
		return "", "", nil, err
	}
	done = func(err *error) {
		if c.keep {
			fmt.Fprintf(logw, "scvbench: kept %s\n", work)
			return
		}
		if rerr := os.RemoveAll(work); rerr != nil && *err == nil {
			*err = rerr
		}
	}
	keyFile = filepath.Join(work, "key", "root.key")
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		done(&err)
		return "", "", nil, err
	}
	if err := os.WriteFile(keyFile, scv.GenerateKey(), 0o600); err != nil {
		done(&err)
		return "", "", nil, err
	}
	return work, keyFile, done, nil
}

// bench runs every measurement in a fresh work directory under c.dir,
// removed at the end unless c.keep, and stops at the first phase that
// fails.
func bench(ctx context.Context, c config, logw io.Writer) (r *results, err error) {
	r = &results{machine: describeMachine()}
	work, keyFile, done, err := workDir(c, logw)
	if err != nil {
		return nil, err
	}
	defer done(&err)
	progress := func(format string, a ...any) {
		fmt.Fprintf(logw, "scvbench: "+format+" (RSS %.0f MiB, peak %.0f MiB)\n", append(a, procMiB("VmRSS"), procMiB("VmHWM"))...)
	}
	anon := sampleAnon(ownMemoryEvery)
	defer anon.stop()
	mark := func(phase string) {
		m := memoryMark{phase, procMiB("VmHWM"), anon.take()}
		r.memory = append(r.memory, m)
		r.peakAnon = max(r.peakAnon, m.anon)
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
	err = r.ref.around("ingest", func() error {
		return profiled(c.cpuprofile, func() (err error) {
			r.large, err = ingest(ctx, c, db, large, progress)
			return err
		})
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
	if err := r.ref.around("stages", func() error {
		return profiled(phaseProfile(c.cpuprofile, "bystage"), func() (err error) {
			r.stages, err = streamStages(ctx, db)
			return err
		})
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

	if c.bulk {
		progress("bulk-loading the %d records into a fresh database, in a process of its own", c.n)
		job := bulkJob{Data: large.dir, DB: filepath.Join(work, "db-bulk"), KeyFile: keyFile, NoAtRest: c.noAtRest, Mem: c.mem, MemoryMiB: c.bulkMemMiB}
		if r.bulk, err = bulkApart(ctx, job, logw); err != nil {
			return nil, err
		}
		if r.bulk.Read != c.n {
			return nil, fmt.Errorf("bulk load read %d records, want %d", r.bulk.Read, c.n)
		}
		if err := removeUnlessKept(c, job.DB); err != nil {
			return nil, err
		}
		mark("bulk")
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
	if err := r.ref.around("badger", func() (err error) {
		r.badger, err = rawBadgerApart(ctx, job, logw)
		return err
	}); err != nil {
		return nil, err
	}
	if err := removeUnlessKept(c, filepath.Join(work, "badger")); err != nil {
		return nil, err
	}

	progress("timing phone parsers")
	r.phone = phones(large.g, c.n)
	mark("phone")

	r.peakRSS = procMiB("VmHWM")
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
	n     int
	phase phaseRun
	sum   scv.Summary
}

func (r ingestRun) rps() float64 { return r.phase.rate(r.sum.Read) }

// tailRPS is the rate of the ingest's last tenth of records.
func (r ingestRun) tailRPS() float64 { return r.phase.tailRate(r.sum.Read, 10) }

// ingest times DB.IngestAll over a prepared workload: decoding its files,
// or with -stream the generator's stream.
func ingest(ctx context.Context, c config, db *scv.DB, p *prepared, progress func(string, ...any)) (ingestRun, error) {
	src := workload.ReadDir(p.dir)
	if c.stream {
		src = p.g.Records()
	}
	n := p.g.NumRecords()
	progress("ingesting %d records", n)
	run := ingestRun{n: n}
	var err error
	run.phase, err = measure(func(mark func(int)) error {
		start := time.Now()
		last := start
		opts := scv.IngestOptions{BatchSize: c.batch, Progress: func(s scv.Summary) {
			mark(s.Read)
			if now := time.Now(); now.Sub(last) >= 10*time.Second {
				last = now
				progress("  %d of %d records, %.0f records/s", s.Read, n, float64(s.Read)/now.Sub(start).Seconds())
			}
		}}
		run.sum, err = db.IngestAll(ctx, src, opts)
		return err
	})
	if err != nil {
		return run, fmt.Errorf("ingest of %d records: %w", n, err)
	}
	if run.sum.Read != n {
		return run, fmt.Errorf("ingest of %d records read %d", n, run.sum.Read)
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

func headlineOf(r *results) headline {
	h := headline{
		IngestRPS:  round(r.large.rps(), 1),
		BadgerRPS:  round(r.badger.rps(), 1),
		ByPhoneP50: round(float64(r.lookups.p50.Nanoseconds())/1e3, 1),
		ByPhoneP99: round(float64(r.lookups.p99.Nanoseconds())/1e3, 1),
		PeakRSSMiB: round(r.peakRSS, 1),
		OwnRSSMiB:  round(r.peakAnon, 1),
	}
	h.IngestRatio = round(r.large.rps()/r.badger.rps(), 3)
	h.PhoneSpeedup = round(r.phone.refNs()/r.phone.fastNs(), 2)
	h.ByStagePPS = round(float64(r.stages.profiles)/r.stages.took.Seconds(), 1)
	h.ScalingRatio = round(r.large.tailRPS()/r.small.tailRPS(), 3)
	if r.bulk.Read > 0 {
		h.BulkRPS = round(r.bulk.rps(), 1)
		h.BulkRatio = round(r.bulk.rps()/r.badger.rps(), 3)
		h.BulkOwnRSSMiB, h.BulkPeakRSSMiB = round(r.bulk.OwnPeak, 1), round(r.bulk.PeakRSS, 1)
	}
	if ref := r.ref.mbps(); ref > 0 {
		h.RefSHA256MBps = round(ref, 1)
		h.IngestRPSNorm = round(r.large.rps()/r.ref.of("ingest"), 3)
		h.BadgerRPSNorm = round(r.badger.rps()/r.ref.of("badger"), 3)
		h.ByStagePPSNorm = round(float64(r.stages.profiles)/r.stages.took.Seconds()/r.ref.of("stages"), 3)
	}
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
