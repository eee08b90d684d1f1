package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/internal/codec"
)

// BenchmarkPurgeTraces measures what an erasure pays to clear the change
// feed and the quarantine of the erased person: a read of both whole,
// here 10,000 feed entries and 10,000 quarantine entries naming other
// people (in-memory Badger), of which nothing is removed.
func BenchmarkPurgeTraces(b *testing.B) {
	ctx := context.Background()
	s := openTestStore(b, "", crypto.GenerateRootKey())
	const n = 10000
	for lo := 0; lo < n; lo += pageSize {
		err := s.update(ctx, func(t *txn) error {
			for i := lo; i < min(lo+pageSize, n); i++ {
				plain, err := codec.Marshal(&eventList{Events: []Event{{Time: asOf, Kind: EventStage, Profile: NewProfileID().String(), To: "repeat"}}})
				if err != nil {
					return err
				}
				if err := t.tx.Set(binary.BigEndian.AppendUint64([]byte{nsLog}, uint64(i+1)), t.kr.Seal(purposeEvent, plain)); err != nil {
					return err
				}
				q, err := json.Marshal(QuarantineEntry{Channel: "pos", File: "receipts.csv", Source: "pos", Line: i + 2, RecordID: "r-" + strconv.Itoa(i), Field: "amount", Reason: "invalid_amount", Time: asOf})
				if err != nil {
					return err
				}
				tag, _ := t.kr.BlindIndex(tagQuarantine, []byte(strconv.Itoa(i)))
				if err := t.tx.Set(key(nsQuarantine, tag), t.kr.Seal(purposeQuarantine, q)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	tag, _ := s.kr.BlindIndex(tagRecord, []byte("pos\x00pos\x00r-erased"))
	js := []*erasure{{Profile: NewProfileID().String(), Records: [][]byte{tag}}}
	b.ReportAllocs()
	for b.Loop() {
		deleted, err := s.purgeTraces(ctx, js)
		if err != nil || len(deleted) > 0 {
			b.Fatal(deleted, err)
		}
	}
}
