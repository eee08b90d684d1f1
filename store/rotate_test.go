package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

func TestRotateWhileIngesting(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, t.TempDir(), crypto.GenerateRootKey())
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	before := s.kr.Status().PrimaryKEK
	// Ingest goes on while the rotation runs.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 200 {
			rec := identity.Record{
				Channel: identity.ChannelCSV, Source: "rotation", ID: "r" + itoa(i),
				Identifiers: []identity.Identifier{{Kind: identity.KindEmail, Value: "c" + itoa(i) + "@example.com"}},
			}
			if _, err := s.Ingest(ctx, rec); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	sum, err := s.Rotate(ctx, RotateOptions{Retire: true})
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sum.Epoch == before || len(sum.Retired) != 1 || sum.Retired[0] != before {
		t.Fatalf("rotate summary %+v, want a new epoch and %d retired", sum, before)
	}
	if sum.Rewraps == 0 || sum.Reseals == 0 {
		t.Fatalf("rotate rewrapped %d keys and resealed %d values; want both > 0", sum.Rewraps, sum.Reseals)
	}
	st := s.kr.Status()
	if len(st.KEKEpochs) != 1 || st.KEKEpochs[0] != sum.Epoch {
		t.Fatalf("epochs after retiring: %v, want only %d", st.KEKEpochs, sum.Epoch)
	}
	// Every profile, record, quarantine entry and journal still opens.
	r := mustVerify(t, s)
	if r.Profiles < 200 {
		t.Fatalf("%d profiles after rotation, want the fixtures' and 200 more", r.Profiles)
	}
	for _, err := range s.Quarantine(ctx) {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func itoa(i int) string { return time.Duration(i).String() }

func TestRotateRoot(t *testing.T) {
	for _, plain := range []bool{false, true} {
		name := "at-rest encryption"
		if plain {
			name = "no at-rest encryption"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			oldRoot, newRoot := crypto.GenerateRootKey(), crypto.GenerateRootKey()
			opts := Options{Keys: testKeys(oldRoot), NoAtRestEncryption: plain}
			s, err := Open(ctx, dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			want, _ := s.Stats(ctx)
			s.Close()
			if err := RotateRoot(ctx, dir, oldRoot, newRoot, opts); err != nil {
				t.Fatal(err)
			}
			// Running it again is harmless.
			if err := RotateRoot(ctx, dir, oldRoot, newRoot, opts); err != nil {
				t.Fatalf("second RotateRoot: %v", err)
			}
			if _, err := Open(ctx, dir, opts); !errors.Is(err, ErrWrongKey) {
				t.Fatalf("open with the old root: %v, want ErrWrongKey", err)
			}
			opts.Keys = testKeys(newRoot)
			s, err = Open(ctx, dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, _ := s.Stats(ctx)
			if got.Profiles != want.Profiles || got.Records != want.Records {
				t.Fatalf("after root rotation %+v, want %+v", got, want)
			}
			mustVerify(t, s)
		})
	}
}

func TestOpenRefusesWrongKey(t *testing.T) {
	for _, plain := range []bool{false, true} {
		ctx := context.Background()
		dir := t.TempDir()
		opts := Options{Keys: testKeys(crypto.GenerateRootKey()), NoAtRestEncryption: plain}
		s, err := Open(ctx, dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		opts.Keys = testKeys(crypto.GenerateRootKey())
		if _, err := Open(ctx, dir, opts); !errors.Is(err, ErrWrongKey) {
			t.Errorf("plain=%v: open with another key: %v, want ErrWrongKey", plain, err)
		}
	}
}

func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	root := crypto.GenerateRootKey()
	openTestStore(t, dir, root)
	if _, err := Open(context.Background(), dir, Options{Keys: testKeys(root)}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
}

func TestRotateRootRefusesOpenDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	oldRoot, newRoot := crypto.GenerateRootKey(), crypto.GenerateRootKey()
	s := openTestStore(t, dir, oldRoot)
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := RotateRoot(ctx, dir, oldRoot, newRoot, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("RotateRoot of an open database: %v, want ErrLocked", err)
	}
	s.Close()
	// Nothing changed: the old key still opens it.
	s = openTestStore(t, dir, oldRoot)
	mustVerify(t, s)
}

func TestRotateCountsEachProfileOnce(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.Rotate(ctx, RotateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Rotate repeats its pass until a pass changes nothing; the profiles
	// a second pass sees again are not new ones.
	type counts struct{ Profiles, Rewraps int }
	want := counts{Profiles: st.Profiles, Rewraps: st.Profiles}
	if diff := cmp.Diff(want, counts{sum.Profiles, sum.Rewraps}); diff != "" {
		t.Errorf("rotate summary (-want +got):\n%s", diff)
	}
}
