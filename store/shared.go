package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/scv-go/scv/merge"
)

// A store on an engine that other processes write too (one that is not
// [Exclusive]: PostgreSQL) cannot trust what it read at Open. Three
// things a process keeps in memory are the database's, and another
// process may change them: the keyring (a rotation adds and retires
// key-encryption-key epochs), the merge rules (a restage under new rules)
// and the schema (a newer build migrates it). Every transaction of such a
// store reads their entries first, in one round trip, inside the
// transaction, so that a change committed by another process either is
// seen by it or makes it conflict and retry:
//
//   - a changed keyring is adopted ([crypto.Keyring.Reload]) before
//     anything is sealed or unwrapped;
//   - changed rules, or a restage under way in another process, fail
//     writes with [ErrRulesChanged]: decisions of two rule sets must not
//     mix; reopen the store;
//   - a changed schema fails every call with [ErrSchemaChanged].
//
// Everything else the store keeps per process is either read inside each
// transaction already (the change feed's counter, the suppression and
// blocking-index marks), used only on an Exclusive engine (the bulk
// ingest's pipeline and its filter of absent keys), or a cache whose
// staleness costs time, not correctness (the suggestion model).

// ErrSchemaChanged is returned on a shared engine when another process
// (a newer build) changed the database's schema since this store opened
// it: close it and upgrade.
var ErrSchemaChanged = errors.New("store: another process changed the database's schema; reopen with a build that reads it")

// sharedState is what a store on a shared engine compares with the
// database in every transaction.
type sharedState struct {
	on bool // set by OpenKV when the engine is not Exclusive

	mu      sync.Mutex
	keyring []byte // the keyring state last read or written by this store
	rules   []byte // the sealed rules last found equal to the store's
	// restaging is set while this store runs a restage (its own writes
	// under the new rules go on while the mark is set).
	restaging bool
}

// sharedKeys are the entries checked, in ascending order.
var sharedKeys = func() [][]byte {
	ks := [][]byte{metaKey("keyring"), metaKey(metaRules), metaKey(metaRestage), metaKey("schema")}
	slices.SortFunc(ks, bytes.Compare)
	return ks
}()

// isShared reports whether other processes may write kv.
func isShared(kv KV) bool {
	x, ok := kv.(Exclusive)
	return !ok || !x.Exclusive()
}

// checkShared compares the keyring, rules, restage mark and schema
// stored in tx with this store's (see the comment at the top of this
// file). write says the transaction will write.
func (s *Store) checkShared(tx Txn, write bool) error {
	if !s.sh.on {
		return nil
	}
	vals := map[string][]byte{}
	if sg, ok := tx.(SortedGetter); ok {
		err := sg.GetSorted([]byte{nsMeta}, sharedKeys, func(i int, v []byte, err error) error {
			if err == nil {
				vals[string(sharedKeys[i])] = bytes.Clone(v)
			} else if !errors.Is(err, ErrKeyNotFound) {
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
	} else {
		for _, k := range sharedKeys {
			v, err := tx.Get(k)
			if err == nil {
				vals[string(k)] = v
			} else if !errors.Is(err, ErrKeyNotFound) {
				return err
			}
		}
	}
	if v, ok := vals[string(metaKey("schema"))]; ok && !bytes.Equal(v, schemaValue(schemaVersion)) {
		return fmt.Errorf("%w (schema %q, this store %d)", ErrSchemaChanged, v, schemaVersion)
	}
	s.sh.mu.Lock()
	defer s.sh.mu.Unlock()
	if v, ok := vals[string(metaKey("keyring"))]; ok && !bytes.Equal(v, s.sh.keyring) {
		if err := s.kr.Reload(v); err != nil {
			return fmt.Errorf("store: the keyring another process stored: %w", err)
		}
		s.sh.keyring = v
	}
	if !write {
		return nil
	}
	if _, ok := vals[string(metaKey(metaRestage))]; ok && !s.sh.restaging {
		return &RulesError{Interrupted: true}
	}
	v, ok := vals[string(metaKey(metaRules))]
	if !ok || bytes.Equal(v, s.sh.rules) || s.sh.restaging {
		return nil
	}
	plain, err := s.kr.Open(purposeRules, v)
	if err != nil {
		return fmt.Errorf("store: stored rules: %w", err)
	}
	var stored merge.Options
	if err := json.Unmarshal(plain, &stored); err != nil {
		return fmt.Errorf("store: stored rules: %w", err)
	}
	if diff := diffRules(stored, s.rules); len(diff) > 0 {
		return &RulesError{Fields: diff}
	}
	s.sh.rules = v
	return nil
}

// startShared turns the checks on for a store on a shared engine, once
// Open has settled the keyring and the rules.
func (s *Store) startShared() {
	s.sh.mu.Lock()
	defer s.sh.mu.Unlock()
	s.sh.on = isShared(s.kv)
	s.sh.keyring = s.kr.State()
}

// setRestaging marks this store's own restage as running, or done.
func (s *Store) setRestaging(on bool) {
	s.sh.mu.Lock()
	s.sh.restaging = on
	s.sh.mu.Unlock()
}

// changeKeyring applies change to the keyring and stores the result, in
// one transaction that first adopts the keyring as stored: on a shared
// engine two processes rotating at once then conflict, and the one that
// retries applies its change to the other's keyring instead of
// overwriting it. The checks of checkShared wait meanwhile, so that they
// never take the stored keyring for a newer one than this store's.
func (s *Store) changeKeyring(ctx context.Context, change func() error) error {
	s.wmu.RLock()
	defer s.wmu.RUnlock()
	s.sh.mu.Lock()
	defer s.sh.mu.Unlock()
	backoff := time.Millisecond
	for attempt := 1; ; attempt++ {
		err := s.kv.Update(ctx, func(tx Txn) error {
			v, err := tx.Get(metaKey("keyring"))
			if err != nil {
				return fmt.Errorf("store: keyring state: %w", err)
			}
			if err := s.kr.Reload(v); err != nil {
				return fmt.Errorf("store: keyring state: %w", err)
			}
			if err := change(); err != nil {
				return err
			}
			state := s.kr.State()
			s.sh.keyring = state // if the commit fails, checkShared reloads the stored one
			return tx.Set(metaKey("keyring"), state)
		})
		if !errors.Is(err, ErrConflict) || attempt == maxAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}
