package store

import (
	"context"
	"testing"

	"github.com/scv-go/scv/crypto"
)

func TestIngestFixturesTwice(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	sum, err := s.IngestAll(ctx, fixtures(t), IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q := 0
	for _, n := range sum.Quarantined {
		q += n
	}
	if sum.Read != sum.Accepted+q {
		t.Fatalf("read %d != accepted %d + quarantined %d", sum.Read, sum.Accepted, q)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("summary %+v", sum)
	t.Logf("stats %+v", st)
	again, err := s.IngestAll(ctx, fixtures(t), IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Unchanged != again.Accepted || again.ProfilesCreated != 0 || again.ProfilesMerged != 0 {
		t.Fatalf("second import changed something: %+v", again)
	}
	st2, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Profiles != st.Profiles || st2.Records != st.Records || st2.Quarantined != st.Quarantined {
		t.Fatalf("stats changed on re-import: %+v -> %+v", st, st2)
	}
}
