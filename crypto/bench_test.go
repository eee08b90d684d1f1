package crypto

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strconv"
	"testing"
)

// sink keeps benchmark results alive, so that allocations a caller would
// see are counted.
var sink []byte

// BenchmarkSealOpen measures what a profile costs: sealing it (a write)
// and opening it (a read) under its data key, for a typical 1 KiB and a
// large 4 KiB profile.
func BenchmarkSealOpen(b *testing.B) {
	_, kr := newKeyring(b)
	pid := []byte("0123456789abcdef") // a 16-byte random profile id
	dk, _ := kr.NewDataKey(pid)
	for _, size := range []int{1 << 10, 4 << 10} {
		profile := bytes.Repeat([]byte(`{"k":"v"}`), size/9+1)[:size]
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				ct := dk.Seal(pid, "profile", profile)
				if _, err := dk.Open(pid, "profile", ct); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDataKey measures the per-profile key work: a new data key
// (profile creation) and an unwrap (every read of a profile).
func BenchmarkDataKey(b *testing.B) {
	_, kr := newKeyring(b)
	pid := []byte("0123456789abcdef")
	_, wrapped := kr.NewDataKey(pid)
	b.Run("New", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			kr.NewDataKey(pid)
		}
	})
	b.Run("Unwrap", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := kr.UnwrapDataKey(pid, wrapped); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBlindIndex measures one blind index of a phone number, the
// allocation-free append form, the two tags of a rotation, and, for the
// package documentation's estimate, one unkeyed SHA-256 of a phone number
// (what an attacker pays per guess against an unkeyed index).
func BenchmarkBlindIndex(b *testing.B) {
	_, kr := newKeyring(b)
	phone := []byte("+8613912345678")
	b.Run("BlindIndex", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if sink, err = kr.BlindIndex("phone", phone); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendBlindIndex", func(b *testing.B) {
		key := make([]byte, 0, 64)
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if key, err = kr.AppendBlindIndex(append(key[:0], "idx/phone/"...), "phone", phone); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("BlindIndexAll/2versions", func(b *testing.B) {
		_, kr2 := newKeyring(b)
		kr2.AddBlindIndexVersion()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := kr2.BlindIndexAll("phone", phone); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("UnkeyedPhoneHash", benchmarkUnkeyedPhoneHash)
}

// benchmarkUnkeyedPhoneHash measures one SHA-256 of a new mainland mobile
// number, formatting included: the attacker's cost per guess when phone
// numbers are hashed without a key. 7e9 times this is a full sweep.
func benchmarkUnkeyedPhoneHash(b *testing.B) {
	buf := []byte("+8613900000000")
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		n++
		strconv.AppendInt(buf[:3], 13000000000+n%7000000000, 10)
		sha256.Sum256(buf)
	}
}
