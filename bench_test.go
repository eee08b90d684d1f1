package scv

import (
	"context"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/internal/workload"
	"github.com/scv-go/scv/store"
)

// BenchmarkListing measures what the root package's own types cost a
// listing: every profile of a 5,000-record workload streamed by DB.All
// (profiles converted to [Profile]) and, in the same run, by the store
// below it (no conversion). Both open and decrypt every profile.
func BenchmarkListing(b *testing.B) {
	g, err := workload.New(workload.Config{Records: 5000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	root := crypto.GenerateRootKey()
	db, err := Open("", Options{
		Keys:     crypto.KeyProviderFunc(func(context.Context) (*crypto.RootKey, error) { return root, nil }),
		InMemory: true,
		Clock:    func() time.Time { return workload.DefaultAsOf },
	})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.IngestAll(ctx, g.Records(), IngestOptions{}); err != nil {
		b.Fatal(err)
	}
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, err := range db.s.All(ctx, store.Filter{}) {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("scv", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, err := range db.All(ctx, Filter{}) {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
