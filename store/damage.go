package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/scv-go/scv/crypto"
)

// ErrDamaged matches every [*DamagedError].
var ErrDamaged = errors.New("store: damaged profile")

// DamagedError reports a stored profile that cannot be opened: its sealed
// value or its wrapped data key fails authentication, or what it holds
// does not decode. Lookups return it; listings ([Store.ByStage],
// [Store.All]) yield it for the profile and go on with the next; [Store.Erase]
// erases the profile without opening it. It names the profile by id only.
type DamagedError struct {
	ID  string // the profile id
	Err error  // why it cannot be opened
}

// Error says which profile is damaged, why, and what can be done.
func (e *DamagedError) Error() string {
	return fmt.Sprintf("store: profile %s is damaged (%v): listings skip it; erase it or restore a backup", e.ID, e.Err)
}

// Unwrap returns ErrDamaged and the cause.
func (e *DamagedError) Unwrap() []error { return []error{ErrDamaged, e.Err} }

// damaged wraps an error opening profile id as a [*DamagedError], unless
// it is a key the keyring does not hold (a keyring matter, not damage to
// this profile).
func damaged(id ProfileID, err error) error {
	var ke *crypto.KeyError
	if errors.As(err, &ke) {
		return fmt.Errorf("store: profile %v: %w", id, err)
	}
	return &DamagedError{ID: id.String(), Err: err}
}

// eraseDamaged erases a profile that cannot be opened, which is what
// crypto-shredding needs anyway: its data key and sealed value are
// deleted (and purged after the transaction), and the entries that point
// at it, which hold no sealed data of it, are found by scanning their
// indexes (records, identifiers, stages, blocks, forwards), since the
// profile cannot say which they are. Its records get tombstones and go
// into the journal entry, so re-importing them does not bring the customer
// back; it costs a scan of those indexes, once.
func (t *txn) eraseDamaged(pid ProfileID) (*erasure, error) {
	j := &erasure{Profile: pid.String(), Time: t.now.UTC()}
	ids := []ProfileID{pid}
	for e, err := range t.tx.Scan([]byte{nsForward}, nil, false) {
		if err != nil {
			return nil, err
		}
		if bytes.Equal(e.Value, pid[:]) {
			from, err := profileIDFrom(e.Key[1:])
			if err != nil {
				return nil, err
			}
			j.Absorbed = append(j.Absorbed, from.String())
			ids = append(ids, from)
		}
	}
	for _, x := range ids {
		if err := t.tx.Set(purgeKey(x), []byte{1}); err != nil {
			return nil, err
		}
	}
	var tags [][]byte
	for e, err := range t.tx.Scan([]byte{nsRecord}, nil, false) {
		if err != nil {
			return nil, err
		}
		if isTombstone(e.Value) {
			continue
		}
		holder, _, _, err := splitRecordValue(e.Value, crypto.BlindIndexSize)
		if err == nil && holder == pid {
			tags = append(tags, bytes.Clone(e.Key[1:]))
		}
	}
	for _, tag := range tags {
		j.Records = append(j.Records, tag)
		if err := t.tombstone(tag); err != nil {
			return nil, err
		}
	}
	var entries []*indexEntry
	for e, err := range t.tx.Scan([]byte{nsIdentifier}, nil, false) {
		if err != nil {
			return nil, err
		}
		hub, pids, err := decodeIndexValue(e.Value)
		if err != nil {
			return nil, fmt.Errorf("store: I %x: %w", e.Key[1:], err)
		}
		for i, x := range pids {
			if x == pid {
				entries = append(entries, &indexEntry{key: bytes.Clone(e.Key), hub: hub, pids: append(pids[:i:i], pids[i+1:]...)})
				break
			}
		}
	}
	for _, ie := range entries {
		if cached, ok := t.index[string(ie.key)]; ok {
			ie = cached
			ie.pids = removePID(ie.pids, pid)
		} else {
			put(&t.index, string(ie.key), ie)
		}
		t.touchIndex(ie)
	}
	var drop [][]byte
	for _, ns := range []byte{nsStage, nsBlock} {
		for e, err := range t.tx.Scan([]byte{ns}, nil, true) {
			if err != nil {
				return nil, err
			}
			if bytes.HasSuffix(e.Key, pid[:]) {
				drop = append(drop, bytes.Clone(e.Key))
			}
		}
	}
	drop = append(drop, profileKey(pid), dataKeyKey(pid))
	for _, k := range drop {
		if err := t.tx.Delete(k); err != nil {
			return nil, err
		}
	}
	plain, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	if err := t.tx.Set(erasureKey(pid), t.kr.Seal(purposeErasure, plain)); err != nil {
		return nil, err
	}
	t.events = append(t.events, Event{Time: t.now, Kind: EventErased, Profile: pid.String()})
	return j, nil
}

func removePID(pids []ProfileID, pid ProfileID) []ProfileID {
	for i, x := range pids {
		if x == pid {
			return append(pids[:i:i], pids[i+1:]...)
		}
	}
	return pids
}
