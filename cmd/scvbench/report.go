package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scv-go/scv"
)

// machine describes where the run happened.
type machine struct {
	cores, procs int
	goVersion    string
	platform     string
	cpu          string
	memory       string
	load         string // load averages when the run started
}

func describeMachine() machine {
	m := machine{
		cores:     runtime.NumCPU(),
		procs:     runtime.GOMAXPROCS(0),
		goVersion: runtime.Version(),
		platform:  runtime.GOOS + "/" + runtime.GOARCH,
		cpu:       procField("/proc/cpuinfo", "model name"),
		load:      loadAverage(),
	}
	if kb, err := strconv.ParseFloat(strings.Fields(procField("/proc/meminfo", "MemTotal") + " 0")[0], 64); err == nil && kb > 0 {
		m.memory = fmt.Sprintf("%.1f GiB", kb/(1<<20))
	}
	return m
}

// procField returns the value of the first "name: value" line of a /proc
// file, or "".
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// procMiB returns a size field of /proc/self/status, such as VmHWM (the
// peak resident set size) or VmRSS, in MiB; 0 where /proc does not say.
func procMiB(field string) float64 {
	f := strings.Fields(procField("/proc/self/status", field))
	if len(f) == 0 {
		return 0
	}
	kb, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0
	}
	return kb / 1024
}

func round(x float64, places int) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return 0
	}
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// count formats an integer with thousands separators.
func count[T ~int | ~int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func rate(x float64) string { return count(int64(math.Round(x))) }

// target is one of the targets for N = 1,000,000 on two cores.
type target struct {
	key   string
	value float64
	unit  string
	goal  string
	met   func(float64) bool
}

func targets(h headline) []target {
	atLeast := func(v float64) func(float64) bool { return func(x float64) bool { return x >= v } }
	atMost := func(v float64) func(float64) bool { return func(x float64) bool { return x <= v } }
	out := []target{
		{"ingest_rps", h.IngestRPS, "records/s", "", nil},
		{"badger_rps", h.BadgerRPS, "values/s", "", nil},
		{"ingest_ratio", h.IngestRatio, "", "", nil}, // issue 18: the 0.5 target is the bulk path's
		{"phone_speedup", h.PhoneSpeedup, "x", ">= 10", atLeast(10)},
		{"byphone_p50_us", h.ByPhoneP50, "µs", "", nil},
		{"byphone_p99_us", h.ByPhoneP99, "µs", "<= 100", atMost(100)},
		{"bystage_pps", h.ByStagePPS, "profiles/s", ">= 100000", atLeast(100000)},
		{"own_rss_mib", h.OwnRSSMiB, "MiB", "<= 1024", atMost(1024)},
		{"peak_rss_mib", h.PeakRSSMiB, "MiB", "", nil},
		{"scaling_ratio", h.ScalingRatio, "", ">= 0.7", atLeast(0.7)},
		{"ref_sha256_mbps", h.RefSHA256MBps, "MB/s", "", nil},
		{"ingest_rps_norm", h.IngestRPSNorm, "records/MB", "", nil},
		{"badger_rps_norm", h.BadgerRPSNorm, "values/MB", "", nil},
		{"bystage_pps_norm", h.ByStagePPSNorm, "profiles/MB", "", nil},
	}
	if h.BulkRPS > 0 {
		out = append(out,
			target{"bulk_rps", h.BulkRPS, "records/s", "", nil},
			target{"bulk_ratio", h.BulkRatio, "", ">= 0.5", atLeast(0.5)},
			target{"bulk_own_rss_mib", h.BulkOwnRSSMiB, "MiB", "<= 512", atMost(512)},
			target{"bulk_peak_rss_mib", h.BulkPeakRSSMiB, "MiB", "", nil})
	}
	if h.QualityPrecision != nil {
		ceiling := *h.QualityCeiling
		out = append(out,
			target{"quality_precision", *h.QualityPrecision, "", ">= 0.995", atLeast(0.995)},
			target{"quality_recall", *h.QualityRecall, "", fmt.Sprintf(">= 0.98 x ceiling = %.4f", 0.98*ceiling), atLeast(0.98 * ceiling)},
			target{"quality_f1", *h.QualityF1, "", "", nil},
			target{"quality_ceiling", ceiling, "", "", nil})
	}
	return out
}

// printReport writes the human-readable report and, with -json, the
// headline object as the last line.
func printReport(w io.Writer, c config, r *results) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	m := r.machine
	p("scvbench   N = %s records, seed %d", count(c.n), c.seed)
	p("machine    %d cores (GOMAXPROCS %d), %s, %s memory, %s %s; load average %s at the start, %s at the end",
		m.cores, m.procs, m.cpu, m.memory, m.goVersion, m.platform, m.load, loadAverage())
	wl := r.workload
	p("workload   %s people (%.1f%% on two or more channels) in %s records, %.1f MB of native files, generated in %.1f s (not timed)",
		count(r.truth.people), 100*float64(r.truth.multi)/float64(r.truth.people), count(wl.g.NumRecords()), float64(wl.bytes)/1e6, wl.took.Seconds())
	p("")
	if c.stream {
		p("ingest     timed: DB.IngestAll fed by the generator's record stream (generation, identity.Decode of the")
		p("           generated bytes, resolution, sealing, blind indexing, Badger commits)")
	} else {
		p("ingest     timed: DB.IngestAll fed by identity.Decode reading the workload files from disk (page cache")
		p("           warm): decoding, resolution, sealing, blind indexing, Badger commits; generation excluded")
	}
	batch := "512 (the default)"
	if c.batch > 0 {
		batch = strconv.Itoa(c.batch)
	}
	atRest := "Badger encryption at rest"
	if c.noAtRest {
		atRest = "Badger encryption at rest OFF (-no-at-rest)"
	}
	p("           scv.Open default Options: synced commits, %s, batches of %s records", atRest, batch)
	for _, run := range []struct {
		label string
		ingestRun
	}{{"N/10", r.small}, {"N", r.large}} {
		s := run.sum
		p("  %-4s     %s records in %.1f s = %s records/s (process CPU %s); accepted %s (unchanged %s), quarantined %s, profiles created %s, merged %s",
			run.label, count(s.Read), run.phase.took.Seconds(), rate(run.rps()), cpuShare(run.phase.cpu, run.phase.took, m.procs), count(s.Accepted), count(s.Unchanged),
			quarantineSummary(s.Quarantined), count(s.ProfilesCreated), count(s.ProfilesMerged))
		p("           its last tenth: %s records/s; own memory (peak RssAnon) during it: %.0f MiB", rate(run.tailRPS()), run.phase.ownPeak)
	}
	p("  scaling  the last tenth of each run (the same files: the end of the POS rows, the CRM and survey CSV), N over N/10:")
	p("           %s / %s = %.3f (the whole runs' averages: %.3f)",
		rate(r.large.tailRPS()), rate(r.small.tailRPS()), r.large.tailRPS()/r.small.tailRPS(), r.large.rps()/r.small.rps())
	if r.decode > 0 {
		p("  decode   identity.Decode of the same files alone: %.1f s = %s records/s, %.0f%% of the ingest time",
			r.decode.Seconds(), rate(float64(c.n)/r.decode.Seconds()), 100*r.decode.Seconds()/r.large.phase.took.Seconds())
	}
	st := r.stats
	p("database   %s profiles, %s records, %s quarantined, %s hubs, %s forwards",
		count(st.Profiles), count(st.Records), count(st.Quarantined), count(st.Hubs), count(st.Forwards))
	var stages []string
	for _, s := range scv.Stages {
		stages = append(stages, fmt.Sprintf("%s %s", s, count(st.Stages[s])))
	}
	p("           stages: %s", strings.Join(stages, ", "))
	if v := r.verify; v != nil {
		if v.problems == 0 {
			p("           Verify: consistent (%.1f s)", v.took.Seconds())
		} else {
			p("           Verify: %d problems (%.1f s), the first: %s", v.problems, v.took.Seconds(), v.first)
		}
	}
	sd := r.stored
	p("stored     %s live keys, %.1f MB of keys and values = %.0f bytes per record; %.1f MB on disk = %.0f bytes per profile",
		count(sd.keys), float64(sd.keyBytes+sd.valueBytes)/1e6, sd.perRecord, float64(sd.disk)/1e6, float64(sd.disk)/float64(max(1, st.Profiles)))
	b := r.badger
	p("badger     one WriteBatch of %s values of %d bytes with %d-byte random keys, in a fresh directory and a process of its own, with the", count(b.n), b.valueSize, b.keySize)
	aes := "AES at rest with a 32-byte key"
	if c.noAtRest {
		aes = "no encryption at rest"
	}
	o := b.opts // what the raw run was opened with: the store's settings
	p("           store's settings (SyncWrites, %s, no compression, %d x %d MiB memtables, values from %d bytes in the value log,",
		aes, o.NumMemtables, o.MemTableSize>>20, o.ValueThreshold)
	p("           %d MiB block cache, %d MiB index cache): %.2f s = %s values/s (process CPU %s)",
		o.BlockCacheSize>>20, o.IndexCacheSize>>20, b.took.Seconds(), rate(b.rps()), cpuShare(b.cpu, b.took, m.procs))
	ph := r.phone
	agree := "they agree on every value ParsePhone accepts"
	if ph.disagree > 0 {
		agree = fmt.Sprintf("they DISAGREE on %d values ParsePhone accepts", ph.disagree)
	}
	p("phone      %s values of the workload's mix (mobiles in its spellings, masked, typos, placeholders, landlines, foreign,",
		count(ph.inputs))
	p("           service numbers, junk) x %d = %s calls: identity.ParsePhone %.0f ns/call, phonenumbers.Parse+Format %.0f ns/call;",
		ph.calls/ph.inputs, count(ph.calls), ph.fastNs(), ph.refNs())
	p("           %s; ParsePhone refuses %s", agree, quarantineSummary(ph.refused))
	lk := r.lookups
	errs := "none"
	if len(lk.errs) > 0 {
		errs = fmt.Sprint(lk.errs)
		if lk.firstOther != "" {
			errs += "; the first other: " + lk.firstOther
		}
	}
	p("byphone    %s lookups of %s known phones, after a warm-up pass (%.1f s): p50 %.1f µs, p99 %.1f µs, p99.9 %.1f µs, max %.1f µs (process CPU %s); errors: %s",
		count(lk.n), count(len(r.truth.knownPhones)), lk.warmTook.Seconds(), us(lk.p50), us(lk.p99), us(lk.p999), us(lk.max),
		cpuShare(lk.timedCPU, lk.timedWall, m.procs), errs)
	p("           the same timing of identical work (SHA-256 of 32 KiB, %s runs), this machine's own spread: p50 %.1f µs, p99 %.1f µs = %.1f x p50 (ByPhone's p99: %.1f x its p50)",
		count(lk.n), us(lk.floorP50), us(lk.floorP99), lk.floorP99.Seconds()/lk.floorP50.Seconds(), lk.p99.Seconds()/lk.p50.Seconds())
	sg := r.stages
	match := "they match the ground truth"
	if sg.paidOrders != r.truth.paidOrders || sg.spendFen != r.truth.spendFen {
		match = fmt.Sprintf("the ground truth says %s and %s fen: MISMATCH", count(r.truth.paidOrders), count(r.truth.spendFen))
	}
	p("bystage    %s profiles in %d stages in %.2f s (process CPU %s), holding %s paid orders and %s fen of spend; %s",
		count(sg.profiles), len(scv.Stages), sg.took.Seconds(), cpuShare(sg.cpu, sg.took, m.procs), count(sg.paidOrders), count(sg.spendFen), match)
	var marks, anons []string
	for _, m := range r.memory {
		marks = append(marks, fmt.Sprintf("%s %.0f", m.phase, m.peak))
		anons = append(anons, fmt.Sprintf("%s %.0f", m.phase, m.anon))
	}
	p("memory     peak RSS (VmHWM, MiB) after each phase: %s", strings.Join(marks, ", "))
	p("           the process's own memory, not mapped file pages (peak RssAnon sampled every %d ms during each phase, MiB): %s",
		ownMemoryEvery.Milliseconds(), strings.Join(anons, ", "))
	p("           live Go heap after a GC: %.0f MiB at the end of the N ingest (the database still open)", r.liveAfterIngest)
	p("           raw Badger alone, in a process of its own: peak RSS %.0f MiB, of which its own memory %.0f MiB; live Go heap %.0f MiB at the end",
		r.badger.peak, r.badger.anon, r.badger.live)
	lo, hi := r.ref.spread()
	p("reference  SHA-256 of %d MiB on each of %d cores at once, right before and right after the N ingest, the stage scan and the",
		referenceBytes>>20, m.procs)
	p("           raw Badger run: median %.0f MB/s, from %.0f to %.0f; around the ingest %.0f, the scan %.0f, Badger %.0f:",
		r.ref.mbps(), lo, hi, r.ref.of("ingest"), r.ref.of("stages"), r.ref.of("badger"))
	p("           each *_norm figure is its phase's rate divided by the reference around it")
	if r.quality != nil {
		printQuality(p, r.quality)
	}
	if r.pg != nil {
		printPostgres(w, p, r)
	}
	p("")
	note := ""
	if c.n != 1_000_000 {
		note = " (the targets are for N = 1,000,000)"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "figure\tvalue\t\ttarget%s\tmet\n", note)
	for _, t := range targets(r.head) {
		met := ""
		if t.met != nil {
			met = "yes"
			if !t.met(t.value) {
				met = "NO"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.key, strconv.FormatFloat(t.value, 'f', -1, 64), t.unit, t.goal, met)
	}
	tw.Flush()
	if c.json {
		j, _ := json.Marshal(r.head)
		fmt.Fprintf(w, "%s\n", j)
	}
}

// cpuShare says how much CPU the process used during a phase: seconds, and
// the share of the cores it may use. On a machine shared with other work a
// share well under 100% while the phase was CPU-bound means it waited for
// the CPU, and its rate understates what the code does alone.
func cpuShare(cpu, wall time.Duration, procs int) string {
	if cpu <= 0 || wall <= 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f s, %.0f%% of %d cores", cpu.Seconds(), 100*cpu.Seconds()/wall.Seconds()/float64(procs), procs)
}

func us(d interface{ Nanoseconds() int64 }) float64 { return float64(d.Nanoseconds()) / 1e3 }

func quarantineSummary[K ~string](q map[K]int) string {
	total := 0
	var parts []string
	for k, n := range q {
		total += n
		parts = append(parts, fmt.Sprintf("%s %s", k, count(n)))
	}
	slices.Sort(parts)
	if total == 0 {
		return "0"
	}
	return fmt.Sprintf("%s (%s)", count(total), strings.Join(parts, ", "))
}

// printPostgres prints the PostgreSQL figures beside Badger's.
func printPostgres(w io.Writer, p func(string, ...any), r *results) {
	pg := r.pg
	p("")
	p("postgres   the same workload, lookups and scan on PostgreSQL (a table of its own, one process), beside Badger:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "           \tbadger\tpostgres\tpostgres/badger\n")
	row := func(name string, b, q float64) {
		fmt.Fprintf(tw, "           %s\t%s\t%s\t%.2f\n", name, rate(b), rate(q), q/b)
	}
	row("ingest (records/s)", r.large.rps(), pg.ingest.rps())
	row("ByPhone p50 (us)", us(r.lookups.p50), us(pg.lookups.p50))
	row("ByPhone p99 (us)", us(r.lookups.p99), us(pg.lookups.p99))
	row("ByStage (profiles/s)", float64(r.stages.profiles)/r.stages.took.Seconds(), float64(pg.stages.profiles)/pg.stages.took.Seconds())
	tw.Flush()
	if pg.stages.profiles != r.stages.profiles || pg.stages.paidOrders != r.stages.paidOrders || pg.stages.spendFen != r.stages.spendFen {
		p("           MISMATCH: PostgreSQL holds %s profiles, %s paid orders, %s fen; Badger %s, %s, %s",
			count(pg.stages.profiles), count(pg.stages.paidOrders), count(pg.stages.spendFen), count(r.stages.profiles), count(r.stages.paidOrders), count(r.stages.spendFen))
	}
	p("           ingest from several processes at once into one database, each taking every P-th record:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "           processes\trecords/s (all)\tper process\tvs 1 process\ttransactions\tconflicts (retried)\n")
	for _, run := range pg.procs {
		fmt.Fprintf(tw, "           %d\t%s\t%s\t%.2f\t%s\t%s (%.1f%%)\n", run.procs, rate(run.rps()), rate(run.rps()/float64(run.procs)),
			run.rps()/pg.procs[0].rps(), count(run.updates), count(run.conflict), 100*float64(run.conflict)/float64(max(run.updates, 1)))
	}
	tw.Flush()
}
