package scv_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/workload"
)

// bulkView is what TestBulkLoad compares of a database: each profile in
// JSON with profile ids replaced by the smallest key of the profile's
// records, and the counts, forwards aside (ids merged away differ).
type bulkView struct {
	Profiles map[string]string
	Stats    scv.Stats
}

var hexID = regexp.MustCompile(`[0-9a-f]{32}`)

func viewDB(t *testing.T, db *scv.DB) bulkView {
	t.Helper()
	ctx := context.Background()
	var profiles []*scv.Profile
	names := map[string]string{}
	for p, err := range db.All(ctx, scv.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, s := range p.Sources {
			keys = append(keys, identity.RecordKey{Channel: s.Channel, Source: s.Source, ID: s.RecordID}.String())
		}
		names[p.ID] = "<" + slices.Min(keys) + ">"
		profiles = append(profiles, p)
	}
	v := bulkView{Profiles: map[string]string{}}
	for _, p := range profiles {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		v.Profiles[names[p.ID]] = hexID.ReplaceAllStringFunc(string(b), func(id string) string { return names[id] })
	}
	var err error
	if v.Stats, err = db.Stats(ctx); err != nil {
		t.Fatal(err)
	}
	v.Stats.Forwards = 0
	r, err := db.Verify(ctx)
	if err != nil || !r.OK() {
		t.Errorf("Verify: %v %v", err, r)
	}
	return v
}

// TestBulkLoad checks the facade: bulk-loading the China trap workload
// into an empty database on disk gives the database IngestAll gives, ids
// aside, with the same counts; a cancelled load leaves it empty.
func TestBulkLoad(t *testing.T) {
	ctx := context.Background()
	g, err := workload.New(workload.Config{Records: 2000, Seed: 5, Traps: true})
	if err != nil {
		t.Fatal(err)
	}
	data := map[string][]byte{}
	for _, f := range workload.Files() {
		if data[f.Name], err = io.ReadAll(g.Open(f)); err != nil {
			t.Fatal(err)
		}
	}
	sources := func() []scv.BulkSource {
		var out []scv.BulkSource
		for _, f := range workload.Files() {
			out = append(out, scv.BulkSource{File: f.Name, Records: identity.Decode(bytes.NewReader(data[f.Name]), f.Format, f.Options())})
		}
		return out
	}
	root := crypto.GenerateRootKey()
	opts := scv.Options{
		Keys:  crypto.KeyProviderFunc(func(context.Context) (*crypto.RootKey, error) { return root, nil }),
		Clock: func() time.Time { return workload.DefaultAsOf },
	}
	bulk, err := scv.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer bulk.Close()

	cctx, cancel := context.WithCancel(ctx)
	_, err = bulk.BulkLoad(cctx, scv.BulkOptions{Progress: func(p scv.BulkProgress) {
		if p.Phase == scv.BulkWrite {
			cancel()
		}
	}}, sources()...)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled BulkLoad: %v", err)
	}
	if st, err := bulk.Stats(ctx); err != nil || st.Profiles != 0 || st.Quarantined != 0 {
		t.Fatalf("after a cancelled BulkLoad: %+v, %v", st, err)
	}

	var phases []scv.BulkPhase
	bsum, err := bulk.BulkLoad(ctx, scv.BulkOptions{Progress: func(p scv.BulkProgress) {
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	}}, sources()...)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]scv.BulkPhase{scv.BulkDecode, scv.BulkResolve, scv.BulkWrite}, phases); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	q := 0
	for _, n := range bsum.Quarantined {
		q += n
	}
	if bsum.Read != g.NumRecords() || bsum.Read != bsum.Accepted+q {
		t.Errorf("summary: read %d, accepted %d, quarantined %d; the workload has %d records", bsum.Read, bsum.Accepted, q, g.NumRecords())
	}

	opts.InMemory = true
	inc, err := scv.Open("", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer inc.Close()
	isum := scv.Summary{Quarantined: map[identity.Reason]int{}, Warnings: map[identity.Reason]int{}}
	for _, src := range sources() {
		sum, err := inc.IngestAll(ctx, src.Records, scv.IngestOptions{File: src.File})
		if err != nil {
			t.Fatal(err)
		}
		isum.Add(sum)
	}
	counts := func(s scv.Summary) scv.Summary {
		return scv.Summary{Read: s.Read, Accepted: s.Accepted, Quarantined: s.Quarantined, Warnings: s.Warnings}
	}
	if diff := cmp.Diff(counts(isum), counts(bsum), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("summary (-IngestAll +BulkLoad):\n%s", diff)
	}
	if diff := cmp.Diff(viewDB(t, inc), viewDB(t, bulk), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("database (-IngestAll +BulkLoad):\n%s", diff)
	}
}
