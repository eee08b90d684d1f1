package store

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scv-go/scv/crypto"
)

func openTestBadger(t *testing.T, o BadgerOptions) *Badger {
	t.Helper()
	if o.Dir == "" && !o.InMemory {
		o.Dir = t.TempDir()
	}
	b, err := OpenBadger(o)
	if err != nil {
		t.Fatalf("OpenBadger: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestBadgerReadOfMissingKeyConflicts(t *testing.T) {
	// Two transactions both read a missing key and both write it: the
	// second to commit must fail with ErrConflict. The store's uniqueness
	// of identifier index entries rests on this.
	ctx := context.Background()
	b := openTestBadger(t, BadgerOptions{InMemory: true})
	key := []byte("i/phone-tag")
	first := make(chan struct{})
	second := make(chan struct{})
	var wg sync.WaitGroup
	var errA error
	wg.Add(1)
	go func() {
		defer wg.Done()
		errA = b.Update(ctx, func(tx Txn) error {
			if _, err := tx.Get(key); !errors.Is(err, ErrKeyNotFound) {
				t.Errorf("Get: %v, want ErrKeyNotFound", err)
			}
			close(first)
			<-second
			return tx.Set(key, []byte("A"))
		})
	}()
	<-first
	errB := b.Update(ctx, func(tx Txn) error {
		if _, err := tx.Get(key); !errors.Is(err, ErrKeyNotFound) {
			t.Errorf("Get: %v, want ErrKeyNotFound", err)
		}
		return tx.Set(key, []byte("B"))
	})
	close(second)
	wg.Wait()
	if errB != nil {
		t.Fatalf("first commit: %v", errB)
	}
	if !errors.Is(errA, ErrConflict) {
		t.Fatalf("second commit: %v, want ErrConflict", errA)
	}
}

func TestBadgerSecondOpenIsLocked(t *testing.T) {
	dir := t.TempDir()
	openTestBadger(t, BadgerOptions{Dir: dir})
	_, err := OpenBadger(BadgerOptions{Dir: dir})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
}

func TestBadgerWrongEncryptionKey(t *testing.T) {
	dir := t.TempDir()
	b, err := OpenBadger(BadgerOptions{Dir: dir, EncryptionKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(context.Background(), func(tx Txn) error { return tx.Set([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	_, err = OpenBadger(BadgerOptions{Dir: dir, EncryptionKey: bytes.Repeat([]byte{2}, 32)})
	if !errors.Is(err, ErrWrongEncryptionKey) {
		t.Fatalf("open with another key: %v, want ErrWrongEncryptionKey", err)
	}
}

func TestBadgerScan(t *testing.T) {
	ctx := context.Background()
	b := openTestBadger(t, BadgerOptions{InMemory: true})
	err := b.Update(ctx, func(tx Txn) error {
		for _, k := range []string{"a/1", "b/1", "b/2", "b/3", "c/1"} {
			if err := tx.Set([]byte(k), []byte("v"+k)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		start    string
		keysOnly bool
		want     []string
	}{
		{name: "whole prefix", want: []string{"b/1=vb/1", "b/2=vb/2", "b/3=vb/3"}},
		{name: "from a start key", start: "b/2", want: []string{"b/2=vb/2", "b/3=vb/3"}},
		{name: "keys only", keysOnly: true, want: []string{"b/1=", "b/2=", "b/3="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := b.View(ctx, func(tx Txn) error {
				var start []byte
				if tc.start != "" {
					start = []byte(tc.start)
				}
				for e, err := range tx.Scan([]byte("b/"), start, tc.keysOnly) {
					if err != nil {
						return err
					}
					got = append(got, string(e.Key)+"="+string(e.Value))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
			}
		})
	}
}

func TestBadgerPurgeRemovesOldVersionsFromDisk(t *testing.T) {
	// A value overwritten and then purged must be gone from every file in
	// the directory, not only hidden: crypto-shredding depends on it.
	ctx := context.Background()
	dir := t.TempDir()
	b, err := OpenBadger(BadgerOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("wrapped-data-key-version-one-0123456789")
	key := []byte("k/profile-1")
	set := func(k, v []byte) {
		t.Helper()
		if err := b.Update(ctx, func(tx Txn) error { return tx.Set(k, v) }); err != nil {
			t.Fatal(err)
		}
	}
	set(key, secret)
	set(key, []byte("wrapped-data-key-version-two"))
	set([]byte("p/profile-1"), []byte("kept"))
	if err := b.Purge(ctx, []byte("k/profile-1")); err != nil {
		t.Fatal(err)
	}
	if err := b.View(ctx, func(tx Txn) error {
		if _, err := tx.Get(key); !errors.Is(err, ErrKeyNotFound) {
			t.Errorf("Get after purge: %v, want ErrKeyNotFound", err)
		}
		if v, err := tx.Get([]byte("p/profile-1")); err != nil || string(v) != "kept" {
			t.Errorf("other key after purge: %q, %v", v, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if f := filesContaining(t, dir, secret); len(f) > 0 {
		t.Fatalf("purged value still on disk in %v", f)
	}
}

func filesContaining(t *testing.T, dir string, needle []byte) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, needle) {
			found = append(found, filepath.Base(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestBadgerSnapshotReplace(t *testing.T) {
	ctx := context.Background()
	src := openTestBadger(t, BadgerOptions{InMemory: true})
	dst := openTestBadger(t, BadgerOptions{InMemory: true})
	put := func(b *Badger, k, v string) {
		t.Helper()
		if err := b.Update(ctx, func(tx Txn) error { return tx.Set([]byte(k), []byte(v)) }); err != nil {
			t.Fatal(err)
		}
	}
	put(src, "a", "1")
	put(src, "b", "2")
	put(dst, "c", "stale")
	var buf bytes.Buffer
	if err := src.Snapshot(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	if err := dst.Replace(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	if err := dst.View(ctx, func(tx Txn) error {
		for e, err := range tx.Scan(nil, nil, false) {
			if err != nil {
				return err
			}
			got[string(e.Key)] = string(e.Value)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["a"] != "1" || got["b"] != "2" {
		t.Fatalf("after Replace: %v, want a=1 b=2 only", got)
	}
}

func TestBadgerNotify(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := openTestBadger(t, BadgerOptions{InMemory: true})
	fired := make(chan struct{}, 16)
	done := make(chan error, 1)
	go func() { done <- b.Notify(ctx, []byte("w/"), func() { fired <- struct{}{} }) }()
	// Subscribe registers asynchronously: keep writing until it fires.
	deadline := time.After(10 * time.Second)
	for i := 0; ; i++ {
		if err := b.Update(ctx, func(tx Txn) error { return tx.Set([]byte("w/event"), []byte{byte(i)}) }); err != nil {
			t.Fatal(err)
		}
		select {
		case <-fired:
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("Notify returned %v", err)
			}
			return
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatal("Notify never fired")
		}
	}
}

// TestGetSortedMatchesGet reads ascending runs of keys, dense and sparse,
// present, deleted and never written, some with values in the value log,
// through GetSorted and through Get: the answers must be the same.
func TestGetSortedMatchesGet(t *testing.T) {
	ctx := context.Background()
	b := openTestBadger(t, BadgerOptions{ValueThreshold: 64, NoSync: true})
	r := rand.New(rand.NewPCG(7, 7))
	const n = 3000
	key := func(i int) []byte { return []byte{'K', byte(i >> 8), byte(i), 1} }
	present := map[int]bool{}
	if err := b.Update(ctx, func(tx Txn) error {
		if err := tx.Set([]byte("J before"), []byte("x")); err != nil {
			return err
		}
		if err := tx.Set([]byte("L after"), []byte("x")); err != nil {
			return err
		}
		for i := range n {
			if r.IntN(3) == 0 {
				continue // never written
			}
			v := bytes.Repeat([]byte{byte(i)}, 1+r.IntN(200)) // from 64 bytes in the value log
			if err := tx.Set(key(i), v); err != nil {
				return err
			}
			present[i] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Update(ctx, func(tx Txn) error {
		for i := range n {
			if present[i] && r.IntN(5) == 0 {
				delete(present, i)
				if err := tx.Delete(key(i)); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, every := range []int{1, 2, 7, 40, 500} { // dense runs step, sparse ones seek
		var keys [][]byte
		for i := r.IntN(every); i < n+5; i += 1 + r.IntN(every) {
			keys = append(keys, key(i))
		}
		keys = append(keys, []byte{'K', 0xff, 0xff, 0xff}) // past the last
		found := 0
		if err := b.View(ctx, func(tx Txn) error {
			return tx.(SortedGetter).GetSorted([]byte{'K'}, keys, func(j int, v []byte, err error) error {
				want, werr := tx.Get(keys[j])
				if errors.Is(werr, ErrKeyNotFound) != errors.Is(err, ErrKeyNotFound) || !bytes.Equal(v, want) {
					t.Errorf("every %d, key %x: GetSorted (%x, %v), Get (%x, %v)", every, keys[j], v, err, want, werr)
				}
				if err == nil {
					found++
				}
				return nil
			})
		}); err != nil {
			t.Fatal(err)
		}
		wantFound := 0
		for _, k := range keys {
			if i := int(k[1])<<8 | int(k[2]); k[3] == 1 && present[i] {
				wantFound++
			}
		}
		if found != wantFound || found == 0 {
			t.Errorf("every %d: GetSorted found %d keys, want %d", every, found, wantFound)
		}
	}
}

// TestGetFuncMatchesGet: GetFunc hands fn the value Get returns, from the
// tree and from the value log, reports absent and deleted keys without
// calling fn, and returns fn's error.
func TestGetFuncMatchesGet(t *testing.T) {
	ctx := context.Background()
	b := openTestBadger(t, BadgerOptions{ValueThreshold: 100, NoSync: true})
	vals := map[string][]byte{
		"small": []byte("in the tree"),
		"large": bytes.Repeat([]byte("in the value log "), 20),
		"gone":  []byte("deleted"),
	}
	for _, step := range []func(Txn) error{
		func(tx Txn) error {
			for k, v := range vals {
				if err := tx.Set([]byte(k), v); err != nil {
					return err
				}
			}
			return nil
		},
		func(tx Txn) error { return tx.Delete([]byte("gone")) },
	} {
		if err := b.Update(ctx, step); err != nil {
			t.Fatal(err)
		}
	}
	errStop := errors.New("stop")
	if err := b.View(ctx, func(tx Txn) error {
		for _, k := range []string{"small", "large", "gone", "never"} {
			want, werr := tx.Get([]byte(k))
			var got []byte
			called := false
			err := tx.(FuncGetter).GetFunc([]byte(k), func(v []byte) error {
				called, got = true, bytes.Clone(v)
				return nil
			})
			if errors.Is(err, ErrKeyNotFound) != errors.Is(werr, ErrKeyNotFound) || called != (werr == nil) || !bytes.Equal(got, want) {
				t.Errorf("%s: GetFunc (%q, called %v, %v), Get (%q, %v)", k, got, called, err, want, werr)
			}
		}
		if err := tx.(FuncGetter).GetFunc([]byte("large"), func([]byte) error { return errStop }); err != errStop {
			t.Errorf("GetFunc returned %v, not fn's error", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// plainTxn hides a transaction's optional methods: the store's fallbacks.
type plainTxn struct{ Txn }

// TestGetProfile: a profile's K and P read through GetFunc and through
// Get alike; no P, or the empty P of a purge, is no profile; a P without
// its K is an error of its own.
func TestGetProfile(t *testing.T) {
	ctx := context.Background()
	b := openTestBadger(t, BadgerOptions{NoSync: true})
	wrapped := bytes.Repeat([]byte{7}, crypto.WrappedKeySize)
	sealed := bytes.Repeat([]byte{9}, 1000)
	ids := map[string]ProfileID{}
	for _, name := range []string{"whole", "absent", "purging", "keyless", "keyonly"} {
		ids[name] = NewProfileID()
	}
	set := map[string][2][]byte{ // name: K, P
		"whole":   {wrapped, sealed},
		"purging": {wrapped, {}},
		"keyless": {nil, sealed},
		"keyonly": {wrapped, nil},
	}
	if err := b.Update(ctx, func(tx Txn) error {
		for name, kp := range set {
			if kp[0] != nil {
				if err := tx.Set(dataKeyKey(ids[name]), kp[0]); err != nil {
					return err
				}
			}
			if kp[1] != nil {
				if err := tx.Set(profileKey(ids[name]), kp[1]); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.View(ctx, func(tx Txn) error {
		for _, tx := range []Txn{tx, plainTxn{tx}} {
			_, fast := tx.(FuncGetter)
			for name, id := range ids {
				var w, p []byte
				err := getProfile(tx, id, func(wrapped, sealed []byte) error {
					w, p = bytes.Clone(wrapped), bytes.Clone(sealed)
					return nil
				})
				switch name {
				case "whole":
					if err != nil || !bytes.Equal(w, wrapped) || !bytes.Equal(p, sealed) {
						t.Errorf("%s (FuncGetter %v): %d, %d bytes, %v", name, fast, len(w), len(p), err)
					}
				case "absent", "purging", "keyonly":
					if !errors.Is(err, ErrKeyNotFound) {
						t.Errorf("%s (FuncGetter %v): %v, want ErrKeyNotFound", name, fast, err)
					}
				case "keyless":
					if err == nil || errors.Is(err, ErrKeyNotFound) || !strings.Contains(err.Error(), "no data key") {
						t.Errorf("%s (FuncGetter %v): %v, want a missing data key", name, fast, err)
					}
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestValueThresholdKeepsWrappedKeysInTree: a value threshold under the
// size of a wrapped data key would send the keys to the value log, where
// an erasure's purge cannot drop their old versions; it is raised.
func TestValueThresholdKeepsWrappedKeysInTree(t *testing.T) {
	for _, th := range []int64{0, 1, 64, crypto.WrappedKeySize, 512, 4096} {
		got := BadgerOptions{Dir: "/nonexistent", ValueThreshold: th}.Options().ValueThreshold
		if got <= crypto.WrappedKeySize {
			t.Errorf("ValueThreshold %d: Badger's threshold is %d, which sends a %d-byte wrapped key to the value log", th, got, crypto.WrappedKeySize)
		}
		if th > crypto.WrappedKeySize && got != th {
			t.Errorf("ValueThreshold %d: Badger's threshold is %d", th, got)
		}
	}
}
