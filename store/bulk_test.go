package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	gen "github.com/scv-go/scv/internal/workload"
)

// bulkInput is a workload held in memory, file by file, so that it can
// be read more than once.
type bulkInput struct {
	name    string
	files   []string
	formats []identity.Format
	opts    []identity.Options
	data    [][]byte
}

// sources returns the input as BulkLoad's sources.
func (in *bulkInput) sources() []BulkSource {
	out := make([]BulkSource, len(in.files))
	for i := range in.files {
		out[i] = BulkSource{File: in.files[i], Records: identity.Decode(bytes.NewReader(in.data[i]), in.formats[i], in.opts[i])}
	}
	return out
}

// bulkItem is one decoded record, or one quarantine error, and its file.
type bulkItem struct {
	rec  identity.Record
	err  error
	file string
}

// items decodes every file of the input.
func (in *bulkInput) items(t testing.TB) []bulkItem {
	t.Helper()
	var out []bulkItem
	for _, src := range in.sources() {
		for rec, err := range src.Records {
			var re *identity.RecordError
			if err != nil && !errors.As(err, &re) {
				t.Fatalf("%s: %v", src.File, err)
			}
			out = append(out, bulkItem{rec: rec, err: err, file: src.File})
		}
	}
	return out
}

// fixtureInput reads the fixtures of testdata/.
func fixtureInput(t testing.TB) *bulkInput {
	t.Helper()
	in := &bulkInput{name: "fixtures"}
	for _, ff := range fixtureFiles(t) {
		b, err := os.ReadFile(ff.path)
		if err != nil {
			t.Fatal(err)
		}
		in.files = append(in.files, filepath.Base(filepath.Dir(ff.path))+"/"+filepath.Base(ff.path))
		in.formats, in.opts, in.data = append(in.formats, ff.format), append(in.opts, ff.opts), append(in.data, b)
	}
	return in
}

// workloadInput generates a workload of internal/workload.
func workloadInput(t testing.TB, cfg gen.Config) *bulkInput {
	t.Helper()
	g, err := gen.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := &bulkInput{name: "workload"}
	for _, f := range gen.Files() {
		b, err := io.ReadAll(g.Open(f))
		if err != nil {
			t.Fatal(err)
		}
		in.files, in.formats, in.opts, in.data = append(in.files, f.Name), append(in.formats, f.Format), append(in.opts, f.Options()), append(in.data, b)
	}
	return in
}

// ingestOneByOne ingests items in their order, each record in an
// IngestAll call of its own.
func ingestOneByOne(t testing.TB, s *Store, items []bulkItem) Summary {
	t.Helper()
	total := newSummary()
	for _, it := range items {
		seq := func(yield func(identity.Record, error) bool) { yield(it.rec, it.err) }
		sum, err := s.IngestAll(context.Background(), seq, IngestOptions{File: it.file})
		if err != nil {
			t.Fatalf("IngestAll: %v", err)
		}
		total.Add(sum)
	}
	return total
}

var profileIDPattern = regexp.MustCompile(`[0-9a-f]{32}`)

// storeView is what the differential test compares of a store: every
// profile, in JSON, with each profile id replaced by the smallest key of
// the records the profile holds, and the index counts.
type storeView struct {
	Profiles map[string]string
	Stats    Stats
	Report   Report
}

// viewOf reads the view of s and checks that Verify finds nothing.
func viewOf(t testing.TB, s *Store) storeView {
	t.Helper()
	ctx := context.Background()
	profiles, err := snapshot(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, p := range profiles {
		var keys []string
		for _, r := range p.Records {
			keys = append(keys, r.Key.String())
		}
		if len(keys) == 0 {
			t.Fatalf("profile %s holds no record", p.ID)
		}
		names[p.ID] = "<" + slices.Min(keys) + ">"
	}
	v := storeView{Profiles: map[string]string{}}
	for _, p := range profiles {
		b, err := json.MarshalIndent(p, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		doc := profileIDPattern.ReplaceAllStringFunc(string(b), func(id string) string {
			if n, ok := names[id]; ok {
				return n
			}
			return "<id not of a live profile>"
		})
		v.Profiles[names[p.ID]] = doc
	}
	if v.Stats, err = s.Stats(ctx); err != nil {
		t.Fatal(err)
	}
	v.Stats.Forwards = 0 // ids merged away differ with the order
	r, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Errorf("Verify: %d problems, first: %s", len(r.Problems), r.Problems[0])
	}
	v.Report = *r
	v.Report.Forwards = 0
	return v
}

// summaryCounts is what the differential test compares of two
// summaries: what was read, accepted, quarantined and warned about.
// Unchanged, Updated, Stale and the profile counts depend on the order
// records arrive in.
func summaryCounts(s Summary) Summary {
	return Summary{Read: s.Read, Accepted: s.Accepted, Quarantined: s.Quarantined, Warnings: s.Warnings}
}

// TestBulkLoadSameAsIncremental checks that bulk-loading a workload into
// an empty store gives the same profiles (ids aside), stages, metrics,
// index counts, quarantine counts and a clean Verify as ingesting it
// record by record, in random orders.
func TestBulkLoadSameAsIncremental(t *testing.T) {
	cases := []struct {
		name   string
		input  func(testing.TB) *bulkInput
		orders int
		spill  int64 // bytes of records, pairs or writes after which the load spills a run; 0: the default
	}{
		{"fixtures", fixtureInput, 3, 0},
		{"fixtures spilled", fixtureInput, 1, 16 << 10},
		{"traps", func(t testing.TB) *bulkInput {
			return workloadInput(t, gen.Config{Records: 1500, Seed: 7, Traps: true})
		}, 2, 0},
		// Budgets of 4 KiB: records, pairs and components sorted in many
		// runs, merged in passes of two, groups spread over runs.
		{"traps spilled", func(t testing.TB) *bulkInput {
			return workloadInput(t, gen.Config{Records: 1500, Seed: 7, Traps: true})
		}, 1, 4 << 10},
		{"mixed spilled", func(t testing.TB) *bulkInput { return workloadInput(t, gen.Config{Records: 3000, Seed: 11}) }, 2, 256 << 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.input(t)
			root := crypto.GenerateRootKey()
			bs := openTestStore(t, t.TempDir(), root)
			bs.bulkJob = 1 // each group in a transaction of its own: a group too small is seen
			bs.bulkSpill = tc.spill
			tmp := t.TempDir()
			bsum, err := bs.BulkLoad(context.Background(), in.sources(), BulkOptions{TempDir: tmp})
			if err != nil {
				t.Fatalf("BulkLoad: %v", err)
			}
			if n := bs.bulkSpills.Load(); (n > 1) != (tc.spill > 0) {
				t.Errorf("BulkLoad spilled %d runs", n)
			}
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("BulkLoad left %d files in its TempDir", len(left))
			}
			if n := bs.bulkStreams.Load(); n != 1 {
				t.Fatalf("BulkLoad wrote %d streams, want 1 (it fell back to incremental ingest)", n)
			}
			if bs.bulkGroups.Load() == 0 {
				t.Error("BulkLoad resolved no group at once")
			}
			bulk := viewOf(t, bs)
			if len(bulk.Profiles) == 0 {
				t.Fatal("the bulk load made no profile")
			}
			items := in.items(t)
			for order := range tc.orders {
				rng := rand.New(rand.NewPCG(uint64(order), 23))
				shuffled := slices.Clone(items)
				rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				s := openTestStore(t, "", root)
				sum := ingestOneByOne(t, s, shuffled)
				if diff := cmp.Diff(summaryCounts(sum), summaryCounts(bsum), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("order %d: summary (-incremental +bulk):\n%s", order, diff)
				}
				if diff := cmp.Diff(viewOf(t, s), bulk, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("order %d: store (-incremental +bulk):\n%s", order, diff)
				}
			}
		})
	}
}

// TestBulkLoadCancelled checks that a bulk load that is cancelled or
// fails, in any phase, leaves the store as it was: empty, consistent,
// and loadable again after a reopen.
func TestBulkLoadCancelled(t *testing.T) {
	in := fixtureInput(t)
	cases := []struct {
		name string
		// stop returns the options and the sources of a load that stops.
		stop    func(cancel context.CancelFunc) ([]BulkSource, BulkOptions)
		wantErr error
	}{
		{"cancelled while decoding", func(cancel context.CancelFunc) ([]BulkSource, BulkOptions) {
			srcs := in.sources()
			next := srcs[0].Records
			srcs[0].Records = func(yield func(identity.Record, error) bool) {
				n := 0
				for rec, err := range next {
					if n++; n == 3 {
						cancel()
					}
					if !yield(rec, err) {
						return
					}
				}
			}
			return srcs, BulkOptions{}
		}, context.Canceled},
		{"cancelled while resolving", func(cancel context.CancelFunc) ([]BulkSource, BulkOptions) {
			return in.sources(), BulkOptions{Progress: func(p BulkProgress) {
				if p.Phase == BulkResolve {
					cancel()
				}
			}}
		}, context.Canceled},
		{"cancelled while writing", func(cancel context.CancelFunc) ([]BulkSource, BulkOptions) {
			return in.sources(), BulkOptions{Progress: func(p BulkProgress) {
				if p.Phase == BulkWrite {
					cancel()
				}
			}}
		}, context.Canceled},
		{"a source fails", func(context.CancelFunc) ([]BulkSource, BulkOptions) {
			srcs := in.sources()
			srcs = append(srcs, BulkSource{File: "broken", Records: func(yield func(identity.Record, error) bool) {
				yield(identity.Record{}, io.ErrUnexpectedEOF)
			}})
			return srcs, BulkOptions{}
		}, io.ErrUnexpectedEOF},
		{"a group over the memory bound", func(context.CancelFunc) ([]BulkSource, BulkOptions) {
			// One group of 20,000 records sharing a member card, about
			// 3 MiB encoded: resolved at once, it cannot be spilled.
			srcs := in.sources()
			srcs = append(srcs, BulkSource{File: "one-card", Records: func(yield func(identity.Record, error) bool) {
				for i := range 20_000 {
					rec := identity.Record{
						Channel: identity.ChannelPOS, Source: "till", ID: fmt.Sprintf("r%d", i), Line: i + 1,
						Observed:    time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC),
						Identifiers: []identity.Identifier{{Kind: identity.KindMember, Scope: "till", Value: "card-1"}},
					}
					if !yield(rec, nil) {
						return
					}
				}
			}})
			return srcs, BulkOptions{MemoryMiB: 1}
		}, ErrBulkMemory},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, root := t.TempDir(), crypto.GenerateRootKey()
			s := openTestStore(t, dir, root)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srcs, opts := tc.stop(cancel)
			_, err := s.BulkLoad(ctx, srcs, opts)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("BulkLoad: %v, want %v", err, tc.wantErr)
			}
			empty := func(s *Store) {
				t.Helper()
				meta, ok, err := s.metaOnly(context.Background())
				if err != nil || !ok {
					t.Fatalf("after a stopped load the store holds more than its metadata (%v)", err)
				}
				if len(meta) == 0 {
					t.Fatal("after a stopped load the store lost its metadata")
				}
			}
			empty(s)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openTestStore(t, dir, root)
			empty(s)
			if _, err := s.BulkLoad(context.Background(), in.sources(), BulkOptions{}); err != nil {
				t.Fatalf("BulkLoad after the stopped one: %v", err)
			}
			st, err := s.Stats(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if st.Profiles != fixtureProfiles {
				t.Errorf("profiles after loading again: %d, want %d", st.Profiles, fixtureProfiles)
			}
			if r, err := s.Verify(context.Background()); err != nil || !r.OK() {
				t.Errorf("Verify: %v %v", err, r.Problems)
			}
		})
	}
}

// TestBulkLoadIntoNonEmpty checks that a bulk load into a store that
// holds profiles merges with them, as incremental ingest does: half the
// records ingested, the rest bulk-loaded, gives what ingesting all does.
func TestBulkLoadIntoNonEmpty(t *testing.T) {
	in := workloadInput(t, gen.Config{Records: 1500, Seed: 3, Traps: true})
	items := in.items(t)
	root := crypto.GenerateRootKey()
	whole := openTestStore(t, "", root)
	ingestOneByOne(t, whole, items)

	s := openTestStore(t, t.TempDir(), root)
	half := len(in.files) / 2
	first := &bulkInput{files: in.files[:half], formats: in.formats[:half], opts: in.opts[:half], data: in.data[:half]}
	rest := &bulkInput{files: in.files[half:], formats: in.formats[half:], opts: in.opts[half:], data: in.data[half:]}
	ingestOneByOne(t, s, first.items(t))
	if _, err := s.BulkLoad(context.Background(), rest.sources(), BulkOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := s.bulkStreams.Load(); n != 0 {
		t.Errorf("BulkLoad into a store with data wrote %d streams, want 0", n)
	}
	if diff := cmp.Diff(viewOf(t, whole), viewOf(t, s), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-incremental +half bulk):\n%s", diff)
	}
}

// TestBulkLoadSmallMemory checks that a load whose records and groups
// need many times BulkOptions.MemoryMiB completes by sorting on disk,
// with the store a load with the default bound gives, and leaves no
// file behind.
func TestBulkLoadSmallMemory(t *testing.T) {
	// Records and groups of about 5 MiB.
	in := workloadInput(t, gen.Config{Records: 10_000, Seed: 11})
	root := crypto.GenerateRootKey()
	load := func(opts BulkOptions) (*Store, Summary) {
		t.Helper()
		s := openTestStore(t, t.TempDir(), root)
		sum, err := s.BulkLoad(context.Background(), in.sources(), opts)
		if err != nil {
			t.Fatalf("BulkLoad with MemoryMiB %d: %v", opts.MemoryMiB, err)
		}
		return s, sum
	}
	big, bigSum := load(BulkOptions{})
	tmp := t.TempDir()
	small, smallSum := load(BulkOptions{MemoryMiB: 1, TempDir: tmp})
	if n := small.bulkSpills.Load(); n < 3 {
		t.Errorf("the load in 1 MiB spilled %d files, want records, pairs and runs", n)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("BulkLoad left %d files in its TempDir", len(left))
	}
	// Every open file but the one being written is a reader whose
	// buffers the bound must hold: a spilled run stays closed until a
	// merge reads it.
	if most, peak := 1<<20/runReaderCost+1, small.bulkOpenPeak.Load(); peak > int64(most) {
		t.Errorf("the load in 1 MiB held %d spill files open at once (of %d spilled), want at most %d", peak, small.bulkSpills.Load(), most)
	}
	if diff := cmp.Diff(summaryCounts(bigSum), summaryCounts(smallSum), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("summary (-default +1 MiB):\n%s", diff)
	}
	if diff := cmp.Diff(viewOf(t, big), viewOf(t, small), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("store (-default +1 MiB):\n%s", diff)
	}
}

// TestBulkLoadReproducible bulk-loads one workload three times: the
// stores must be equal, ids aside. They were not: a referral naming a
// phone that a buyer had shipped a gift to went to the buyer or to the
// phone's own user, by the two profiles' random ids when their counts and
// first-seen times tied.
func TestBulkLoadReproducible(t *testing.T) {
	in := workloadInput(t, gen.Config{Records: 20_000, Seed: 1})
	root := crypto.GenerateRootKey()
	var first storeView
	for i := range 3 {
		s := openTestStore(t, t.TempDir(), root)
		if _, err := s.BulkLoad(context.Background(), in.sources(), BulkOptions{}); err != nil {
			t.Fatal(err)
		}
		v := viewOf(t, s)
		if i == 0 {
			first = v
			continue
		}
		if diff := cmp.Diff(first, v, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("load %d differs from the first (-first +load %d):\n%s", i+1, i+1, diff)
		}
	}
}

// TestBulkLoadMemoryLimit checks that GoMemoryLimitMiB is the Go soft
// memory limit while a load runs and the previous one after it, and that
// a GOMEMLIMIT in the environment wins.
func TestBulkLoadMemoryLimit(t *testing.T) {
	in := fixtureInput(t)
	prev := debug.SetMemoryLimit(-1)
	for _, tc := range []struct {
		env  string
		want int64
	}{
		{"", 300 << 20},
		{"1GiB", prev},
	} {
		t.Run("GOMEMLIMIT="+tc.env, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tc.env)
			s := openTestStore(t, t.TempDir(), crypto.GenerateRootKey())
			var during []int64
			_, err := s.BulkLoad(context.Background(), in.sources(), BulkOptions{GoMemoryLimitMiB: 300, Progress: func(BulkProgress) {
				during = append(during, debug.SetMemoryLimit(-1))
			}})
			if err != nil {
				t.Fatal(err)
			}
			if len(during) == 0 || slices.ContainsFunc(during, func(l int64) bool { return l != tc.want }) {
				t.Errorf("soft memory limit during the load %v, want %d throughout", slices.Compact(during), tc.want)
			}
			if got := debug.SetMemoryLimit(-1); got != prev {
				t.Errorf("soft memory limit after the load %d, want the previous %d", got, prev)
			}
		})
	}
}

// TestBulkLoadContentTags checks that a bulk load stores each record
// with the content tag incremental ingest gives it, the blind index of
// appendRecord's encoding of the record: the tag by which a record
// ingested again is found unchanged. The bulk load tags the encodings it
// decoded the records from, which must be the same bytes.
func TestBulkLoadContentTags(t *testing.T) {
	cases := []struct {
		name  string
		input func(testing.TB) *bulkInput
	}{
		{"fixtures", fixtureInput},
		{"traps", func(t testing.TB) *bulkInput {
			return workloadInput(t, gen.Config{Records: 1500, Seed: 7, Traps: true})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTestStore(t, t.TempDir(), crypto.GenerateRootKey())
			if _, err := s.BulkLoad(context.Background(), tc.input(t).sources(), BulkOptions{}); err != nil {
				t.Fatal(err)
			}
			records, zero, wrong := 0, 0, []string{}
			err := s.kv.View(context.Background(), func(tx Txn) error {
				rt := s.newTxn(tx, s.clock())
				for e, err := range tx.Scan([]byte{nsRecord}, nil, true) {
					if err != nil {
						return err
					}
					lr, err := rt.record(e.Key[1:])
					if err != nil {
						return err
					}
					if lr.pid.IsZero() {
						zero++
						continue
					}
					rec, err := rt.content(lr)
					if err != nil {
						return err
					}
					_, ctag, err := rt.encodeContent(rec)
					if err != nil {
						return err
					}
					records++
					if !bytes.Equal(ctag, lr.ctag) {
						wrong = append(wrong, rec.ID)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if records == 0 {
				t.Fatal("no records")
			}
			t.Logf("%d records checked, %d without a profile", records, zero)
			if diff := cmp.Diff([]string{}, wrong); diff != "" {
				t.Errorf("records whose content tag is not their encoding's, of %d (-want +got):\n%s", records, diff)
			}
		})
	}
}

// bulkVsOneByOne bulk-loads recs, one source in this order, and
// ingests them one by one in the same order, and requires the same
// summary counts and store; it returns the groups resolved at once.
func bulkVsOneByOne(t *testing.T, recs []identity.Record) int64 {
	t.Helper()
	var items []bulkItem
	for _, r := range recs {
		items = append(items, bulkItem{rec: r, file: "records.jsonl"})
	}
	src := BulkSource{File: "records.jsonl", Records: func(yield func(identity.Record, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}}
	root := crypto.GenerateRootKey()
	bs := openTestStore(t, t.TempDir(), root)
	sum, err := bs.BulkLoad(context.Background(), []BulkSource{src}, BulkOptions{TempDir: t.TempDir()})
	if err != nil {
		t.Fatalf("BulkLoad: %v", err)
	}
	if n := bs.bulkStreams.Load(); n != 1 {
		t.Fatalf("BulkLoad wrote %d streams, want 1", n)
	}
	s := openTestStore(t, "", root)
	want := ingestOneByOne(t, s, items)
	if diff := cmp.Diff(summaryCounts(want), summaryCounts(sum), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("summary (-one by one +bulk):\n%s", diff)
	}
	if diff := cmp.Diff(viewOf(t, s), viewOf(t, bs), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("store (-one by one +bulk):\n%s", diff)
	}
	return bs.bulkGroups.Load()
}

// TestBulkLoadGroupFallsBack checks that a group whose records need
// ingesting one by one is: it gives what IngestAll gives in the order
// read. A record the resolver refuses is quarantined, also as an older
// version that a newer one would combine away; and a group where a hub
// could be flagged goes one by one, since hub flags stick: a phone of
// four people stays a hub after a newer version moves one of them to
// another phone, or after 王女士 arrives, who could be 王芳 or 王伟.
// A group of four people on two phones, which no rule can flag, is
// resolved at once and gives the same.
func TestBulkLoadGroupFallsBack(t *testing.T) {
	at := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	p, q := phoneID(t, "13912345601"), phoneID(t, "13812345602")
	rec := func(id, name string, obs time.Time, ids ...identity.Identifier) identity.Record {
		return identity.Record{Channel: identity.ChannelPOS, Source: "pos", ID: id, Observed: obs, Identifiers: ids,
			Attributes: identity.Attributes{Name: name}}
	}
	paid := func(r identity.Record, order string, fen int64) identity.Record {
		r.Orders = []identity.Order{{ID: order, AmountFen: fen, Time: r.Observed, Status: identity.OrderPaid}}
		return r
	}
	cases := []struct {
		name     string
		recs     []identity.Record
		atOnce   int64
		refusals int
	}{
		{"a record refused", []identity.Record{
			paid(rec("a", "张伟", at, p), "o1", 1200),
			paid(rec("b", "", at, p), "", 300), // an order without an id
			rec("c", "", at, p, q),
			rec("d", "", at, phoneID(t, "13712345603")),
		}, 0, 1},
		{"an older version refused", []identity.Record{
			rec("a", "", at.Add(time.Hour), p),
			rec("a", "李四", at, identity.Identifier{Kind: identity.KindPhone}), // a phone without a value
		}, 0, 1},
		{"a hub flagged before a version moves its carrier", []identity.Record{
			rec("a", "张伟", at, p), rec("b", "李娜", at, p), rec("c", "王芳", at, p),
			rec("d", "赵敏", at, p), rec("d", "赵敏", at.Add(time.Hour), q),
		}, 0, 0},
		{"a hub flagged before a bridging description", []identity.Record{
			rec("a", "王芳", at, p), rec("b", "王伟", at, p), rec("c", "李娜", at, p),
			rec("d", "赵敏", at, p), rec("e", "王女士", at, p),
		}, 0, 0},
		{"no hub possible", []identity.Record{
			rec("a", "王芳", at, p), rec("b", "王伟", at, p), rec("c", "李娜", at, p, q),
			rec("d", "赵敏", at, q), rec("c", "李娜", at.Add(time.Hour), q),
		}, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if n := bulkVsOneByOne(t, tc.recs); n != tc.atOnce {
				t.Errorf("%d groups resolved at once, want %d", n, tc.atOnce)
			}
		})
	}
}

// TestBulkLoadGroupsAsRecordByRecord bulk-loads workloads, all in one
// source, with each group resolved at once and with every group record
// by record, and requires the same store and summary, but for the
// profile counts and Updated: at once a group's profiles are made once,
// so none is merged, and a version linking two profiles counts as
// updated, not as merging them.
func TestBulkLoadGroupsAsRecordByRecord(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   func(testing.TB) *bulkInput
	}{
		{"fixtures", fixtureInput},
		{"traps", func(t testing.TB) *bulkInput {
			return workloadInput(t, gen.Config{Records: 1500, Seed: 7, Traps: true})
		}},
		{"mixed", func(t testing.TB) *bulkInput { return workloadInput(t, gen.Config{Records: 3000, Seed: 11}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := tc.in(t).items(t)
			src := BulkSource{File: "all", Records: func(yield func(identity.Record, error) bool) {
				for _, it := range items {
					if !yield(it.rec, it.err) {
						return
					}
				}
			}}
			root := crypto.GenerateRootKey()
			load := func(byRecord bool) (Summary, storeView, int64) {
				s := openTestStore(t, t.TempDir(), root)
				s.bulkRecordByRecord = byRecord
				sum, err := s.BulkLoad(context.Background(), []BulkSource{src}, BulkOptions{TempDir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				sum.ProfilesCreated, sum.ProfilesMerged, sum.Updated = 0, 0, 0
				return sum, viewOf(t, s), s.bulkGroups.Load()
			}
			gs, gv, n := load(false)
			rs, rv, m := load(true)
			if n == 0 || m != 0 {
				t.Errorf("groups at once: %d and %d record by record, want some and none", n, m)
			}
			if diff := cmp.Diff(rs, gs, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("summary (-record by record +at once):\n%s", diff)
			}
			if diff := cmp.Diff(rv, gv, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("store (-record by record +at once):\n%s", diff)
			}
		})
	}
}

// TestBulkCompactReadsFewRuns checks that a merge pass reads only as
// many runs as it takes to leave the number wanted: merging the first
// fanIn runs when there are a few more would rewrite nearly every run
// once more (at 10,000,000 records, 61 s of the write phase).
func TestBulkCompactReadsFewRuns(t *testing.T) {
	for _, tc := range []struct{ n, most, fanIn, want int }{
		{10, 7, 7, 4},
		{260, 254, 256, 7},
		{600, 254, 256, 256},
		{3, 1, 1, 2},
		{3, 2, 3, 2},
	} {
		if got := passSize(tc.n, tc.most, tc.fanIn); got != tc.want {
			t.Errorf("passSize(%d, %d, %d) = %d, want %d", tc.n, tc.most, tc.fanIn, got, tc.want)
		}
	}

	sealer, err := newBulkSealer()
	if err != nil {
		t.Fatal(err)
	}
	var spills, compacted atomic.Int64
	r := &bulkRuns{dir: t.TempDir(), spills: &spills, compacted: &compacted, sealer: sealer}
	defer r.close()
	for i := range 10 {
		// A key of each run, and one every run writes: the last wins.
		ops := []writeOp{{key: fmt.Appendf(nil, "k%02d", i), value: []byte{byte(i)}}, {key: []byte("same"), value: []byte{byte(i)}}}
		if err := r.spill(ops); err != nil {
			t.Fatal(err)
		}
	}
	before := slices.Clone(r.files)
	if err := r.compact(7); err != nil {
		t.Fatal(err)
	}
	if n := compacted.Load(); n != 4 {
		t.Errorf("compact to 7 of 10 runs read %d runs, want 4", n)
	}
	if len(r.files) != 7 || !slices.Equal(r.files[1:], before[4:]) {
		t.Errorf("compact left %d runs; want the merge of the oldest four, then the six newest as they were", len(r.files))
	}
	cursors, err := r.opCursors(r.files, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]byte{}
	if err := mergeOps(cursors, false, func(op writeOp) bool {
		got[string(op.key)] = op.value[0]
		return true
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]byte{"same": 9}
	for i := range 10 {
		want[fmt.Sprintf("k%02d", i)] = byte(i)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the runs after compact (-want +got):\n%s", diff)
	}
}

// TestBulkLoadWriteMergesRunsAtOnce checks that the write merges the
// runs of writes in one pass when the bound has room for their readers,
// though they outnumber what a budget's share could read: a pass before
// it would rewrite them all once more.
func TestBulkLoadWriteMergesRunsAtOnce(t *testing.T) {
	in := workloadInput(t, gen.Config{Records: 10_000, Seed: 11})
	s := openTestStore(t, t.TempDir(), crypto.GenerateRootKey())
	// 3 MiB: a budget of about 0.5 MiB, a fan-in of 5, and some 30 runs
	// of writes, whose readers take about 3 MiB.
	if _, err := s.BulkLoad(context.Background(), in.sources(), BulkOptions{MemoryMiB: 3}); err != nil {
		t.Fatal(err)
	}
	if n := s.bulkWriteRuns.Load(); n < 10 {
		t.Fatalf("the load spilled %d runs of writes; the test wants more than a budget's fan-in (5)", n)
	}
	if n := s.bulkCompacted.Load(); n != 0 {
		t.Errorf("the write merged %d runs in passes before writing, want none", n)
	}
}

// TestBulkLoadFanInWithinOpenFiles checks that the write merges its runs
// in passes when the process may not hold them all open, and that the
// store is the same: at 100,000,000 records the writes spill some ten
// thousand runs, which a limit of 1,024 open files would refuse.
func TestBulkLoadFanInWithinOpenFiles(t *testing.T) {
	in := workloadInput(t, gen.Config{Records: 10_000, Seed: 11})
	root := crypto.GenerateRootKey()
	load := func(fileLimit int) *Store {
		t.Helper()
		s := openTestStore(t, t.TempDir(), root)
		s.bulkFileLimit = fileLimit
		// 3 MiB: some 30 runs of writes, which memory alone would let
		// the write read at once (TestBulkLoadWriteMergesRunsAtOnce).
		if _, err := s.BulkLoad(context.Background(), in.sources(), BulkOptions{MemoryMiB: 3}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	free, limited := load(0), load(16)
	if n := limited.bulkWriteRuns.Load(); n <= 8 {
		t.Fatalf("the load spilled %d runs of writes; the test wants more than half the limit (8)", n)
	}
	if n := limited.bulkCompacted.Load(); n == 0 {
		t.Error("the write read every run at once under a limit of 16 open files, want passes")
	}
	if peak := limited.bulkOpenPeak.Load(); peak > 8 {
		t.Errorf("the load held %d spill files open at once under a limit of 16, want at most 8", peak)
	}
	if diff := cmp.Diff(viewOf(t, free), viewOf(t, limited), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("store (-no limit +16 open files):\n%s", diff)
	}
}
