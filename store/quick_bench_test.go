package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

func synth(n int) []identity.Record {
	recs := make([]identity.Record, n)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range recs {
		person := i / 2
		ph := fmt.Sprintf("+86139%08d", person)
		recs[i] = identity.Record{
			Channel: identity.ChannelPOS, Source: "pos", ID: fmt.Sprintf("S%07d", i),
			Observed:    base.Add(time.Duration(i) * time.Second),
			Identifiers: []identity.Identifier{{Kind: identity.KindPhone, Value: ph}, {Kind: identity.KindMember, Scope: "pos", Value: fmt.Sprintf("M%07d", person)}},
			Attributes:  identity.Attributes{Name: "王芳", City: "深圳", Province: "广东"},
			Orders:      []identity.Order{{Platform: "pos", ID: fmt.Sprintf("S%07d", i), Status: identity.OrderPaid, AmountFen: 29900, Currency: "CNY", Time: base.Add(time.Duration(i) * time.Second)}},
		}
	}
	return recs
}

func TestQuickBench(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	n := 20000
	recs := synth(n)
	dir := t.TempDir()
	s := openTestStore(t, dir, crypto.GenerateRootKey())
	ctx := context.Background()
	start := time.Now()
	seq := func(yield func(identity.Record, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
	if _, err := s.IngestAll(ctx, seq, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	t.Logf("ingest %d records in %v: %.0f rec/s", n, el, float64(n)/el.Seconds())
	lsm, vlog := s.kv.(*Badger).Size()
	t.Logf("size lsm %d vlog %d", lsm, vlog)

	// raw badger
	db, err := badger.Open(badger.DefaultOptions(t.TempDir()).WithLogger(nil).WithSyncWrites(true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	val := make([]byte, 1200)
	start = time.Now()
	wb := db.NewWriteBatch()
	for i := range n {
		wb.Set([]byte(fmt.Sprintf("key%08d", i)), val)
	}
	wb.Flush()
	el = time.Since(start)
	t.Logf("raw badger %d in %v: %.0f/s", n, el, float64(n)/el.Seconds())
}
