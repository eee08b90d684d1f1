package store

import (
	"context"
	"encoding/binary"
	"testing"
)

// TestAbsentKeys checks the filter's one promise, that a key added is
// never called absent, across the growth of its layers, and that it calls
// most other keys absent, so that it saves reads at all.
func TestAbsentKeys(t *testing.T) {
	kv := openTestBadger(t, BadgerOptions{InMemory: true})
	const stored = 3000
	err := kv.Update(context.Background(), func(tx Txn) error {
		for i := range stored {
			if err := tx.Set(testKey(absentNamespaces[i%len(absentNamespaces)], i), []byte{1}); err != nil {
				return err
			}
		}
		return tx.Set(testKey(nsProfile, 0), []byte{1}) // not tracked
	})
	if err != nil {
		t.Fatal(err)
	}
	var a *absentKeys
	if err := kv.View(context.Background(), func(tx Txn) (err error) {
		a, err = loadAbsentKeys(context.Background(), tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	const added = 300_000 // several times the first layer: it must grow
	for i := stored; i < stored+added; i++ {
		a.add(testKey(nsRecord, i))
	}
	if len(a.layers) < 2 {
		t.Fatalf("%d layers after %d keys, want growth", len(a.layers), stored+added)
	}
	for i := range stored + added {
		ns := nsRecord
		if i < stored {
			ns = absentNamespaces[i%len(absentNamespaces)]
		}
		if !a.mayHold(testKey(ns, i)) {
			t.Fatalf("key %d (%c) was added but is called absent", i, ns)
		}
	}
	const probes = 100_000
	held := 0
	for i := range probes {
		if a.mayHold(testKey(nsIdentifier, 10_000_000+i)) {
			held++
		}
	}
	if rate := float64(held) / probes; rate > 0.05 {
		t.Errorf("false positive rate %.3f over %d layers, want at most 0.05", rate, len(a.layers))
	}
	if !tracked(testKey(nsCredit, 1)) || tracked(testKey(nsProfile, 1)) || tracked(nil) {
		t.Error("tracked namespaces wrong")
	}
}

func testKey(ns byte, i int) []byte {
	k := make([]byte, 1, 17)
	k[0] = ns
	return binary.BigEndian.AppendUint64(k, uint64(i)*0x9e3779b97f4a7c15)
}
