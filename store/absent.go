package store

import (
	"context"
	"hash/maphash"
	"math/bits"
	"slices"
)

// absentKeys answers "is this key certainly not in the engine?" for the
// namespaces a bulk ingest mostly misses in: identifier index entries,
// source records and pending credits. Most records of a bulk load are new,
// and so are most of their identifiers: about 70% of the reads of a
// pipelined ingest ask for keys that do not exist, and each such read
// searches every memtable and consults every level of Badger. A Bloom
// filter of the keys that do exist answers most of them in memory.
//
// It is exact in one direction only: mayHold is true for every key added
// and false for most others. It is valid only while its owner is the one
// writer of the engine ([Store.ingestPipelined] holds the store's write
// lock on an [Exclusive] engine) and adds every key it writes.
//
// Each layer is a Bloom filter sized for its share of keys at about 1%
// false positives; when the newest layer is full, a layer twice its size
// is added, so it grows with the load without knowing its size ahead.
type absentKeys struct {
	seed   maphash.Seed
	layers []bloomLayer
}

type bloomLayer struct {
	words   []uint64
	mask    uint64 // bits in the layer, minus one (a power of two)
	n, capa int
}

// bloomBitsPerKey and bloomProbes give a false-positive rate of about 1%.
const (
	bloomBitsPerKey = 10
	bloomProbes     = 7
)

// absentNamespaces are the namespaces absentKeys tracks.
var absentNamespaces = []byte{nsIdentifier, nsRecord, nsCredit}

func tracked(key []byte) bool {
	return len(key) > 0 && slices.Contains(absentNamespaces, key[0])
}

// loadAbsentKeys builds the filter from the keys tx holds in the tracked
// namespaces, with room for at least as many again.
func loadAbsentKeys(ctx context.Context, tx Txn) (*absentKeys, error) {
	a := &absentKeys{seed: maphash.MakeSeed()}
	var hashes []uint64 // of the keys: 8 bytes each, not the keys
	for _, ns := range absentNamespaces {
		for e, err := range tx.Scan([]byte{ns}, nil, true) {
			if err != nil {
				return nil, err
			}
			if len(hashes)%4096 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			hashes = append(hashes, maphash.Bytes(a.seed, e.Key))
		}
	}
	a.grow(max(2*len(hashes), 1<<16))
	for _, h := range hashes {
		a.addHash(h)
	}
	return a, nil
}

func (a *absentKeys) grow(capa int) {
	nbits := uint64(1) << bits.Len64(uint64(capa*bloomBitsPerKey-1))
	a.layers = append(a.layers, bloomLayer{words: make([]uint64, nbits/64), mask: nbits - 1, capa: capa})
}

// probes returns the two hashes the probes of a key's hash are derived
// from.
func probes(h uint64) (h1, h2 uint64) { return h, h>>32 | h<<32 | 1 }

// add records that key exists.
func (a *absentKeys) add(key []byte) { a.addHash(maphash.Bytes(a.seed, key)) }

func (a *absentKeys) addHash(h uint64) {
	l := &a.layers[len(a.layers)-1]
	if l.n == l.capa {
		a.grow(2 * l.capa)
		l = &a.layers[len(a.layers)-1]
	}
	h1, h2 := probes(h)
	for i := range uint64(bloomProbes) {
		b := (h1 + i*h2) & l.mask
		l.words[b/64] |= 1 << (b % 64)
	}
	l.n++
}

// mayHold reports whether key may exist: false means it certainly does
// not.
func (a *absentKeys) mayHold(key []byte) bool {
	h1, h2 := probes(maphash.Bytes(a.seed, key))
	for _, l := range a.layers {
		hit := true
		for i := range uint64(bloomProbes) {
			b := (h1 + i*h2) & l.mask
			if l.words[b/64]&(1<<(b%64)) == 0 {
				hit = false
				break
			}
		}
		if hit {
			return true
		}
	}
	return false
}
