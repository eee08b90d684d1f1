package store

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
)

// The bank test, after Badger's cmd/bank.go: writers move money between
// accounts there; here they ingest the overlapping records of a shared set
// of people, in batches and one by one, in any order, updates and re-sends
// included, while readers check that nothing is lost, double-counted or
// mixed up in any state a reader can observe.

var soak = flag.Duration("soak", 0, "run the bank test round after round for this long, such as -soak=10m (with a longer -timeout)")

const (
	bankPeople  = 200 // people per round
	bankWriters = 8
	bankRounds  = 3 // rounds without -soak
)

func TestBank(t *testing.T) { forEachEngine(t, inMemory, testBank) }

func testBank(t *testing.T, e testEngine) {
	if *soak == 0 {
		var sum bankStats
		for seed := uint64(1); seed <= bankRounds; seed++ {
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { sum.add(bankRound(t, e.dir(t), seed, bankPeople)) })
		}
		t.Logf("%d rounds: %v", bankRounds, sum)
		sum.require(t)
		return
	}
	deadline := time.Now().Add(*soak)
	if d, ok := t.Deadline(); ok && d.Before(deadline.Add(time.Minute)) {
		t.Fatalf("-soak=%v needs a -timeout of more than %v", *soak, *soak+time.Minute)
	}
	var sum bankStats
	rounds := 0
	for seed := uint64(1); time.Now().Before(deadline) && !t.Failed(); seed++ {
		people := bankPeople
		if seed%4 == 0 {
			people = 1000 // listings of more than one page
		}
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { sum.add(bankRound(t, e.dir(t), seed, people)) })
		rounds++
	}
	t.Logf("soak of %v: %d rounds: %v", *soak, rounds, sum)
	sum.require(t)
}

// bankStats counts what the readers of a round checked. A check is
// concurrent when writers were running both when it began and when it
// ended.
type bankStats struct {
	Versions                   int // record versions ingested
	Snapshots, SnapshotsDuring int // whole-store snapshots checked
	Lookups, LookupsDuring     int // Holder + ByIdentifier pairs checked
	Scans, ScansDuring         int // ByStage x 6 + All + Stats + Verify passes
	OnePage                    int // All listings short enough to be one snapshot, checked whole
}

func (s *bankStats) add(o bankStats) {
	s.Versions += o.Versions
	s.Snapshots += o.Snapshots
	s.SnapshotsDuring += o.SnapshotsDuring
	s.Lookups += o.Lookups
	s.LookupsDuring += o.LookupsDuring
	s.Scans += o.Scans
	s.ScansDuring += o.ScansDuring
	s.OnePage += o.OnePage
}

func (s bankStats) String() string {
	return fmt.Sprintf("%d versions ingested; checks (while writing / in all): %d/%d snapshots, %d/%d lookups, %d/%d scans (%d one-page listings checked whole)",
		s.Versions, s.SnapshotsDuring, s.Snapshots, s.LookupsDuring, s.Lookups, s.ScansDuring, s.Scans, s.OnePage)
}

// require fails the test if some kind of check never ran while writers
// were running: a test whose readers only ever saw the final state proves
// nothing about concurrency.
func (s bankStats) require(t *testing.T) {
	t.Helper()
	if s.SnapshotsDuring == 0 || s.LookupsDuring == 0 || s.ScansDuring == 0 || s.OnePage == 0 {
		t.Errorf("some checks never ran while writers were running: %v", s)
	}
}

// ackLog is what writers have been told is committed: for each record, the
// newest version acknowledged, and the people whose phone an acknowledged
// record carries.
type ackLog struct {
	mu     sync.Mutex
	newest map[identity.RecordKey]time.Time
	keys   []identity.RecordKey // in order of first acknowledgement
	phoned map[int]bool
	people []int // people with an acknowledged phone, in order
}

func newAckLog() *ackLog {
	return &ackLog{newest: map[identity.RecordKey]time.Time{}, phoned: map[int]bool{}}
}

func (a *ackLog) ack(w *workload, recs []identity.Record) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range recs {
		k := recs[i].Key()
		at, seen := a.newest[k]
		if !seen {
			a.keys = append(a.keys, k)
		}
		if !seen || recs[i].Observed.After(at) {
			a.newest[k] = recs[i].Observed
		}
		if p := w.owner[k]; slices.Contains(recs[i].Identifiers, w.phones[p]) && !a.phoned[p] {
			a.phoned[p] = true
			a.people = append(a.people, p)
		}
	}
}

// has reports whether record k is acknowledged.
func (a *ackLog) has(k identity.RecordKey) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.newest[k]
	return ok
}

// copy returns the newest acknowledged version of every record.
func (a *ackLog) copy() map[identity.RecordKey]time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[identity.RecordKey]time.Time, len(a.newest))
	for k, at := range a.newest {
		out[k] = at
	}
	return out
}

// pick returns an acknowledged record with its newest acknowledged version,
// and a person with an acknowledged phone; ok is false while there is none.
func (a *ackLog) pick(r *rand.Rand) (k identity.RecordKey, at time.Time, person int, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.keys) == 0 || len(a.people) == 0 {
		return k, at, 0, false
	}
	k = a.keys[r.IntN(len(a.keys))]
	return k, a.newest[k], a.people[r.IntN(len(a.people))], true
}

// records yields recs as an adapter would.
func records(recs []identity.Record) iter.Seq2[identity.Record, error] {
	return func(yield func(identity.Record, error) bool) {
		for _, rec := range recs {
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// bankRound runs one round: bankWriters writers ingest a fresh workload
// into a fresh store in dir ("" for Badger in memory) while three
// readers check it, then the final state is checked against the ground
// truth.
func bankRound(t *testing.T, dir string, seed uint64, people int) bankStats {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := openTestStore(t, dir, crypto.GenerateRootKey())
	w := newWorkload(seed, people)
	acks := newAckLog()

	var writing atomic.Bool // writers are running
	writing.Store(true)
	var failed atomic.Bool
	fail := func(format string, args ...any) {
		failed.Store(true)
		t.Errorf(format, args...)
		cancel()
	}

	// Writers take the next chunk of versions and ingest it one by one
	// (Ingest), as one batch (IngestBatch) or as a stream (IngestAll with
	// small batches).
	var next atomic.Int64
	var writers sync.WaitGroup
	for i := range bankWriters {
		writers.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(100+i)))
			for ctx.Err() == nil {
				n := 1 + r.IntN(24)
				end := int(next.Add(int64(n)))
				start := end - n
				if start >= len(w.versions) {
					return
				}
				chunk := w.versions[start:min(end, len(w.versions))]
				var err error
				switch mode := r.IntN(10); {
				case mode < 3:
					for _, rec := range chunk {
						if _, err = s.Ingest(ctx, rec); err != nil {
							break
						}
					}
				case mode < 9:
					_, err = s.IngestBatch(ctx, chunk)
				default:
					var sum Summary
					sum, err = s.IngestAll(ctx, records(chunk), IngestOptions{BatchSize: 1 + r.IntN(8)})
					if err == nil && (sum.Read != len(chunk) || sum.Accepted != len(chunk)) {
						err = fmt.Errorf("IngestAll of %d records: %+v", len(chunk), sum)
					}
				}
				if err != nil {
					fail("writer %d: %v", i, err)
					return
				}
				acks.ack(w, chunk)
			}
		})
	}

	// The operator keeps each gift order apart from its account's owner
	// once both records are in.
	var operator sync.WaitGroup
	separated := make(chan [][2]identity.RecordKey, 1)
	operator.Go(func() {
		pending := w.separations
		for ctx.Err() == nil && writing.Load() {
			var err error
			if pending, err = w.separate(ctx, s, pending, acks.has); err != nil {
				fail("operator: %v", err)
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		separated <- pending
	})

	var st bankStats
	var mu sync.Mutex // guards st
	var readers sync.WaitGroup
	// reader runs check until the writers are done, counting the checks
	// that ran entirely while they were writing.
	reader := func(name string, all, during *int, check func(r *rand.Rand) error) {
		stream := uint64(200 + len(name)) // the names differ in length
		readers.Go(func() {
			r := rand.New(rand.NewPCG(seed, stream))
			for !failed.Load() {
				before := writing.Load()
				if err := check(r); err != nil {
					if ctx.Err() == nil {
						fail("%s: %v", name, err)
					}
					return
				}
				mu.Lock()
				*all++
				if before && writing.Load() {
					*during++
				}
				mu.Unlock()
				if !before {
					return // one last check after the writers are done
				}
			}
		})
	}

	// Every profile in one snapshot: each record in exactly one profile,
	// each order counted once, metrics and stages as the profiles' own
	// records say, and nothing acknowledged missing.
	reader("snapshot", &st.Snapshots, &st.SnapshotsDuring, func(*rand.Rand) error {
		acked := acks.copy()
		profiles, err := snapshot(ctx, s)
		if err != nil {
			return err
		}
		_, err = w.checkProfiles(profiles, acked)
		return err
	})

	// Point lookups: the profile holding an acknowledged record lists it
	// at the acknowledged version or newer; the profile a phone finds is
	// its person's and lists the phone.
	reader("lookup", &st.Lookups, &st.LookupsDuring, func(r *rand.Rand) error {
		k, at, person, ok := acks.pick(r)
		if !ok {
			return nil
		}
		p, err := s.Holder(ctx, k)
		if err != nil {
			return fmt.Errorf("Holder of acknowledged record %v: %w", k, err)
		}
		i := slices.IndexFunc(p.Records, func(ref merge.RecordRef) bool { return ref.Key == k })
		switch {
		case i < 0:
			return fmt.Errorf("Holder of record %v returned profile %s, which does not list it", k, p.ID)
		case p.Records[i].Observed.Before(at):
			return fmt.Errorf("record %v held at version %v, older than the acknowledged %v", k, p.Records[i].Observed, at)
		}
		if who, err := w.checkProfile(p); err != nil {
			return err
		} else if who != w.owner[k] && who != several {
			return fmt.Errorf("Holder of a record of person %d returned a profile of person %d", w.owner[k], who)
		}
		phone := w.phones[person]
		p, err = s.ByIdentifier(ctx, phone)
		if errors.Is(err, ErrAmbiguous) {
			// A limit kept the phone's records apart until a hub is
			// flagged or a gift separated: the final check is strict.
			return nil
		}
		if err != nil {
			return fmt.Errorf("person %d by phone: %w", person, err)
		}
		if who, err := w.checkProfile(p); err != nil {
			return err
		} else if who == several {
			return nil
		} else if who != person {
			return fmt.Errorf("the phone of person %d found a profile of person %d", person, who)
		}
		if !slices.Contains(p.Linking(), phone) {
			return fmt.Errorf("the phone of person %d found profile %s, which does not list it", person, p.ID)
		}
		return nil
	})

	// Scans: each stage listing holds profiles in that stage only; the
	// whole listing, when it is one page and so one snapshot, is in stage
	// and id order and passes the snapshot checks, which a stage entry
	// missing, stale or doubled would fail; Stats counts at least the
	// records acknowledged; Verify is clean.
	reader("scan", &st.Scans, &st.ScansDuring, func(*rand.Rand) error {
		for _, stage := range merge.Stages {
			for pg, err := range s.ByStage(ctx, stage, Filter{}) {
				if err != nil {
					return fmt.Errorf("ByStage %s: %w", stage, err)
				}
				if pg.Profile.Stage != stage {
					return fmt.Errorf("ByStage %s listed profile %s, which is in stage %s", stage, pg.Profile.ID, pg.Profile.Stage)
				}
				if _, err := w.checkProfile(pg.Profile); err != nil {
					return err
				}
			}
		}
		acked := acks.copy()
		var all []*merge.Profile
		for pg, err := range s.All(ctx, Filter{}) {
			if err != nil {
				return fmt.Errorf("All: %w", err)
			}
			all = append(all, pg.Profile)
		}
		for i := 1; i < len(all); i++ {
			a, b := all[i-1], all[i]
			if sa, sb := stageCode(a.Stage), stageCode(b.Stage); sa > sb || sa == sb && a.ID >= b.ID {
				return fmt.Errorf("All listed %s (%s) before %s (%s)", a.ID, a.Stage, b.ID, b.Stage)
			}
		}
		if len(all) < pageSize {
			if _, err := w.checkProfiles(all, acked); err != nil {
				return fmt.Errorf("All, one page: %w", err)
			}
			mu.Lock()
			st.OnePage++
			mu.Unlock()
		}
		stats, err := s.Stats(ctx)
		if err != nil {
			return err
		}
		if stats.Records < len(acked) || stats.Records > len(w.latest) || stats.Profiles > stats.Records {
			return fmt.Errorf("Stats counts %d profiles and %d records with %d records acknowledged of %d", stats.Profiles, stats.Records, len(acked), len(w.latest))
		}
		rep, err := s.Verify(ctx)
		if err != nil {
			return err
		}
		if !rep.OK() {
			return fmt.Errorf("Verify found %d problems while writing, first: %s", len(rep.Problems), rep.Problems[0])
		}
		return nil
	})

	writers.Wait()
	writing.Store(false)
	operator.Wait()
	if _, err := w.separate(ctx, s, <-separated, nil); err != nil && !failed.Load() {
		fail("operator, after the writers: %v", err)
	}
	readers.Wait()
	if failed.Load() {
		return st
	}
	st.Versions = len(w.versions)
	tot, err := w.checkFinal(ctx, s)
	if err != nil {
		t.Fatalf("final state: %v", err)
	}
	t.Logf("%d people, %d records, %d paid orders, %d fen; %v", w.people, tot.Records, tot.PaidOrders, tot.SpendFen, st)
	t.Logf("protection: %d hub receipts (%d names), %d gift orders, %d separations, %d family receipts; %d profiles of several people seen while writing",
		len(w.hubRecs[0]), len(w.hubNames[0]), len(w.links)-len(w.hubRecs[0]), len(w.separations), w.families, w.mixed.Load())
	return st
}
