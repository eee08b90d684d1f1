package codec_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/internal/codec"
	"github.com/scv-go/scv/internal/workload"
	"github.com/scv-go/scv/merge"
	"github.com/scv-go/scv/store"
)

// workloadProfiles returns the profiles of a generated workload of n
// records, as the store holds them: the mix of channels, record counts and
// field shapes scvbench measures, unlike the golden profiles, which use
// every field.
func workloadProfiles(tb testing.TB, n int) []*merge.Profile {
	tb.Helper()
	g, err := workload.New(workload.Config{Records: n, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	root := crypto.GenerateRootKey()
	s, err := store.Open(context.Background(), "", store.Options{
		Keys:   crypto.KeyProviderFunc(func(context.Context) (*crypto.RootKey, error) { return root, nil }),
		Badger: store.BadgerOptions{InMemory: true},
		Clock:  func() time.Time { return workload.DefaultAsOf },
	})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.IngestAll(ctx, g.Records(), store.IngestOptions{}); err != nil {
		tb.Fatal(err)
	}
	var out []*merge.Profile
	for pg, err := range s.All(ctx, store.Filter{}) {
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, pg.Profile)
	}
	return out
}

// TestRoundTripWorkloadProfiles round-trips profiles of the shapes a
// bulk load makes (a shared string table across records, orders and
// events). They came out of the store, through this codec, so a field the
// codec always drops would pass here: TestRoundTripProfiles, from JSON,
// catches that.
func TestRoundTripWorkloadProfiles(t *testing.T) {
	for _, p := range workloadProfiles(t, 2000) {
		got, _ := roundTrip(t, p)
		if diff := cmp.Diff(p, &got, instants); diff != "" {
			t.Fatalf("profile %s round trip (-want +got):\n%s", p.ID, diff)
		}
	}
}

// BenchmarkWorkloadProfile decodes and encodes the profiles of a workload
// of 20,000 records, one profile per iteration.
func BenchmarkWorkloadProfile(b *testing.B) {
	ps := workloadProfiles(b, 20000)
	enc := make([][]byte, len(ps))
	size := 0
	for i, p := range ps {
		var err error
		if enc[i], err = codec.Marshal(p); err != nil {
			b.Fatal(err)
		}
		size += len(enc[i])
	}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			var p merge.Profile
			if err := codec.Unmarshal(enc[i%len(enc)], &p); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(size)/float64(len(enc)), "bytes/profile")
	})
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		i := 0
		for b.Loop() {
			var err error
			if buf, err = codec.Append(buf[:0], ps[i%len(ps)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
