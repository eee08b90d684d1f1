package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/internal/pgtest"
	"github.com/scv-go/scv/merge"
)

// openShared opens a store on the PostgreSQL table at u, as another
// process would: nothing shared with other stores but the database.
func openShared(t *testing.T, u string, root *crypto.RootKey, o merge.Options, policy RulesPolicy) (*Store, error) {
	t.Helper()
	s, err := Open(context.Background(), u, Options{Keys: testKeys(root), Clock: func() time.Time { return asOf }, Merge: o, Rules: policy})
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

func emailRecord(src string, i int) identity.Record {
	return identity.Record{
		Channel: identity.ChannelCSV, Source: src, ID: src + itoa(i),
		Identifiers: []identity.Identifier{{Kind: identity.KindEmail, Value: src + itoa(i) + "@example.com"}},
	}
}

// TestSharedKeyringRotation: one process rotates the key-encryption key
// and retires the old epoch while another keeps its keyring from before.
// The other must adopt the new keyring at its next transaction: its
// reads open profiles rewrapped under the new epoch, and its writes wrap
// new data keys under an epoch that still exists.
func TestSharedKeyringRotation(t *testing.T) {
	ctx := context.Background()
	u := pgtest.URL(t)
	root := crypto.GenerateRootKey()
	a, err := openShared(t, u, root, merge.Options{}, RulesRefuse)
	if err != nil {
		t.Fatal(err)
	}
	b, err := openShared(t, u, root, merge.Options{}, RulesRefuse)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := a.Ingest(ctx, emailRecord("a", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Rotate(ctx, RotateOptions{Retire: true}); err != nil {
		t.Fatal(err)
	}
	// b reads a profile rewrapped under the new epoch.
	if _, err := b.Stats(ctx); err != nil {
		t.Fatalf("the other process's Stats after a rotation: %v", err)
	}
	n := 0
	for _, err := range b.All(ctx, Filter{}) {
		if err != nil {
			t.Fatalf("the other process lists after a rotation: %v", err)
		}
		n++
	}
	if n != 20 {
		t.Fatalf("the other process lists %d profiles, want 20", n)
	}
	// b writes new profiles; a (and a fresh open) must read them.
	for i := range 5 {
		if _, err := b.Ingest(ctx, emailRecord("b", i)); err != nil {
			t.Fatalf("the other process ingests after a rotation: %v", err)
		}
	}
	r, err := a.Verify(ctx)
	if err != nil || !r.OK() || r.Profiles != 25 {
		t.Fatalf("Verify after the other process wrote: %+v, %v", r, err)
	}
}

// TestSharedRulesChange: a process that re-stages the database under new
// rules makes the others refuse to write under the old ones (they must
// reopen), instead of mixing decisions of two rule sets.
func TestSharedRulesChange(t *testing.T) {
	ctx := context.Background()
	u := pgtest.URL(t)
	root := crypto.GenerateRootKey()
	a, err := openShared(t, u, root, merge.Options{}, RulesRefuse)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Ingest(ctx, emailRecord("a", 0)); err != nil {
		t.Fatal(err)
	}
	var loyal merge.Options
	loyal.Stage.LoyalOrders = 2
	if _, err := openShared(t, u, root, loyal, RulesReapply); err != nil {
		t.Fatal(err)
	}
	_, err = a.Ingest(ctx, emailRecord("a", 1))
	if !errors.Is(err, ErrRulesChanged) {
		t.Fatalf("ingest under old rules after another process re-staged: %v, want ErrRulesChanged", err)
	}
}
