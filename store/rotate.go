package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/scv-go/scv/crypto"
)

// RotateOptions configure [Store.Rotate].
type RotateOptions struct {
	// Retire deletes the old key-encryption-key epochs once every data
	// key and sealed store value is under the new one. Stale copies of
	// wrapped data keys (older engine versions of erased profiles' keys)
	// become unreadable for good; so do backups' data keys unless the
	// backup's own keyring state is restored with them.
	Retire bool
}

// RotateSummary counts what [Store.Rotate] did.
type RotateSummary struct {
	Epoch    uint32   `json:"epoch"`    // the new primary epoch
	Rewraps  int      `json:"rewraps"`  // data keys rewrapped
	Reseals  int      `json:"reseals"`  // store values resealed
	Retired  []uint32 `json:"retired"`  // epochs retired
	Profiles int      `json:"profiles"` // data keys seen
}

// Rotate rotates the key-encryption key without downtime: it adds a new
// epoch, makes it primary, rewraps every profile's data key and reseals
// every store value sealed under the keyring (quarantine, journal, feed,
// pending credits, the merge rules), page by page, while ingest and lookups go on. Profiles
// and records are not re-encrypted: their data keys do not change. With
// opts.Retire it then deletes the old epochs.
func (s *Store) Rotate(ctx context.Context, opts RotateOptions) (RotateSummary, error) {
	done, err := s.begin()
	if err != nil {
		return RotateSummary{}, err
	}
	defer func() { done() }()
	var sum RotateSummary
	var old []uint32
	err = s.changeKeyring(ctx, func() (err error) {
		old = s.kr.Status().KEKEpochs
		sum.Epoch, err = s.kr.RotateKEK()
		return err
	})
	if err != nil {
		return sum, err
	}
	// A transaction that began before the rotation may still commit a
	// key under the old epoch: repeat the pass until it changes nothing.
	for pass := 0; ; pass++ {
		n, err := s.rewrapAll(ctx, &sum, pass == 0)
		if err != nil {
			return sum, err
		}
		if n == 0 || pass == 10 {
			break
		}
	}
	if opts.Retire {
		// A read of this process whose snapshot predates the last rewrap
		// may still need an old epoch: let every read running now end
		// before the epoch goes (the next ones see the rewrapped keys).
		done()
		s.mu.Lock()
		closed := s.kv == nil
		s.mu.Unlock()
		if closed {
			done = func() {}
			return sum, ErrClosed
		}
		if done, err = s.begin(); err != nil {
			done = func() {}
			return sum, err
		}
		err := s.changeKeyring(ctx, func() error {
			sum.Retired = nil
			for _, e := range old {
				if !slices.Contains(s.kr.Status().KEKEpochs, e) {
					continue // retired by another process meanwhile
				}
				if err := s.kr.RetireKEK(e); err != nil {
					return err
				}
				sum.Retired = append(sum.Retired, e)
			}
			return nil
		})
		if err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// rewrapAll moves every data key and keyring-sealed value to the primary
// epoch and returns how many it changed. It adds what it changed to sum,
// and the data keys it saw only when first is set: a later pass sees the
// same profiles again.
func (s *Store) rewrapAll(ctx context.Context, sum *RotateSummary, first bool) (int, error) {
	changed := 0
	for _, ns := range []byte{nsDataKey, nsQuarantine, nsErasure, nsEvent, nsLog, nsCredit, nsToken} {
		start := []byte{ns}
		for start != nil {
			var next []byte
			var n, c int
			err := s.update(ctx, func(t *txn) error {
				next, n, c = nil, 0, 0
				for e, err := range t.tx.Scan([]byte{ns}, start, false) {
					if err != nil {
						return err
					}
					if n == pageSize {
						next = append([]byte(nil), e.Key...)
						break
					}
					n++
					if len(e.Value) == 0 && (ns == nsLog || ns == nsQuarantine) {
						continue // marked by a purge that failed: see purgeTraces
					}
					var nv []byte
					if ns == nsDataKey {
						nv, err = s.rewrapDataKey(e.Key[1:], e.Value)
					} else {
						nv, err = s.kr.Reseal(purposeOf(ns), e.Value)
					}
					if err != nil {
						return fmt.Errorf("store: rotate %c %x: %w", ns, e.Key[1:], err)
					}
					if !bytes.Equal(nv, e.Value) {
						c++
						if err := t.tx.Set(append([]byte(nil), e.Key...), nv); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				return changed, err
			}
			if ns == nsDataKey {
				if first {
					sum.Profiles += n
				}
				sum.Rewraps += c
			} else {
				sum.Reseals += c
			}
			changed += c
			start = next
		}
	}
	c, err := s.resealRules(ctx)
	sum.Reseals += c
	return changed + c, err
}

// rewrapDataKey rewraps a K value, a profile's wrapped data key, under
// the primary epoch; the sealed profile under P does not change.
func (s *Store) rewrapDataKey(pid, wrapped []byte) ([]byte, error) {
	if len(wrapped) == 0 { // an erasure's purge marker: nothing to rewrap
		return wrapped, nil
	}
	return s.kr.Rewrap(pid, wrapped)
}

func purposeOf(ns byte) string {
	switch ns {
	case nsQuarantine:
		return purposeQuarantine
	case nsErasure:
		return purposeErasure
	case nsEvent, nsLog:
		return purposeEvent
	case nsCredit:
		return purposeCredits
	case nsToken:
		return purposeToken
	}
	panic("store: no purpose for namespace " + string(ns))
}

// RotateRoot replaces the root key of the closed database in dir (it
// fails with [ErrLocked], changing nothing, while a process has it open): it
// re-encrypts Badger's key registry under the new root's at-rest key and
// reseals the keyring state under the new root. Nothing else is rewritten:
// every key below the root is random. Save the new key before calling it;
// the old one opens backups taken before the rotation. If it is
// interrupted, run it again with the same keys: each step detects that it
// was done.
func RotateRoot(ctx context.Context, dir string, oldRoot, newRoot *crypto.RootKey, opts Options) (err error) {
	if IsURL(dir) {
		return errors.New("store: rotating the root key of a PostgreSQL database is not supported yet")
	}
	if !opts.NoAtRestEncryption {
		// Badger's own lock: a process with the database open keeps it,
		// and must not see its key registry change under it.
		unlock, err := lockDir(dir)
		if err != nil {
			return err
		}
		err = rekeyBadger(dir, oldRoot.AtRestKey(), newRoot.AtRestKey())
		unlock()
		if err != nil {
			return err
		}
	}
	bo := opts.Badger
	bo.Dir = dir
	if !opts.NoAtRestEncryption {
		bo.EncryptionKey = newRoot.AtRestKey()
	}
	b, err := OpenBadger(bo)
	if err != nil {
		return err
	}
	defer b.Close()
	defer func() {
		if err == nil {
			writeKeyID(dir, newRoot, !opts.NoAtRestEncryption)
		}
	}()
	return b.Update(ctx, func(tx Txn) error {
		state, err := tx.Get(metaKey("keyring"))
		if err != nil {
			return fmt.Errorf("store: keyring state: %w", err)
		}
		if _, err := crypto.OpenKeyring(newRoot, state); err == nil {
			return nil // done before
		}
		kr, err := crypto.OpenKeyring(oldRoot, state)
		if errors.Is(err, crypto.ErrWrongKey) {
			return fmt.Errorf("%w: the database opens with neither key", ErrWrongKey)
		}
		if err != nil {
			return err
		}
		kr.RotateRoot(newRoot)
		return tx.Set(metaKey("keyring"), kr.State())
	})
}

// rekeyBadger re-encrypts Badger's key registry in dir from oldKey to
// newKey, unless it is under newKey already.
func rekeyBadger(dir string, oldKey, newKey []byte) error {
	ko := badger.KeyRegistryOptions{Dir: dir, ReadOnly: true, EncryptionKey: newKey}
	if kr, err := badger.OpenKeyRegistry(ko); err == nil {
		return kr.Close() // done before
	}
	ko.EncryptionKey = oldKey
	kr, err := badger.OpenKeyRegistry(ko)
	if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
		return fmt.Errorf("%w: the database opens with neither key", ErrWrongKey)
	}
	if err != nil {
		return fmt.Errorf("store: key registry: %w", err)
	}
	defer kr.Close()
	ko.EncryptionKey = newKey
	if err := badger.WriteKeyRegistry(kr, ko); err != nil {
		return fmt.Errorf("store: rewrite key registry: %w", err)
	}
	return nil
}
