package scv_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"testing"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

func ExampleDB_AsOf() {
	db := exampleDB()
	defer db.Close()
	ctx := context.Background()
	recs := identity.Decode(strings.NewReader(exampleOrders), identity.FormatEcommerce, identity.Options{Source: "tmall"})
	if _, err := db.IngestAll(ctx, recs, scv.IngestOptions{}); err != nil {
		log.Fatal(err)
	}
	// What would marketing see in June 2028 if she bought nothing more?
	later := time.Date(2028, 6, 1, 0, 0, 0, 0, time.UTC)
	p, err := db.AsOf(later).ByPhone(ctx, "13912345601")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("as of 2028-06-01:", p.Stage, p.Risk)
	// Nothing was stored: the profile is as it was.
	p, err = db.ByPhone(ctx, "13912345601")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stored:", p.Stage, p.Risk)
	// Output:
	// as of 2028-06-01: repeat lapsed
	// stored: repeat active
}

// BenchmarkReadAsOf reads one profile by phone from 5,000: as stored, as
// of another day (DB.AsOf: computed for the answer), and the way "scv get
// --as-of" used to, refreshing the whole database to that day first
// (alternating two days, so that every refresh has work).
func BenchmarkReadAsOf(b *testing.B) {
	ctx := context.Background()
	db := exampleDB()
	defer db.Close()
	recs := make([]identity.Record, 5000)
	for i := range recs {
		at := time.Date(2026, 1+time.Month(i%10), 1+i%28, 10, 0, 0, 0, time.UTC)
		recs[i] = identity.Record{
			Channel: identity.ChannelPOS, Source: "pos", ID: fmt.Sprintf("r%d", i), Observed: at,
			Identifiers: []identity.Identifier{{Kind: identity.KindPhone, Value: fmt.Sprintf("+86139%08d", i)}},
			Orders:      []identity.Order{{Platform: "pos", ID: fmt.Sprintf("o%d", i), Status: identity.OrderPaid, AmountFen: 10000, Currency: "CNY", Time: at}},
		}
	}
	if _, err := db.IngestAll(ctx, func(yield func(identity.Record, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}, scv.IngestOptions{}); err != nil {
		b.Fatal(err)
	}
	days := []time.Time{time.Date(2028, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)}
	const phone = "13900001234"
	b.Run("stored", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := db.ByPhone(ctx, phone); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("as-of", func(b *testing.B) {
		b.ReportAllocs()
		view := db.AsOf(days[0])
		for b.Loop() {
			if _, err := view.ByPhone(ctx, phone); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("refresh-then-read", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := db.Refresh(ctx, days[i%2]); err != nil {
				b.Fatal(err)
			}
			if _, err := db.ByPhone(ctx, phone); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
