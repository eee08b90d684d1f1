package store

import (
	"context"
)

// Maintain finishes what a restore or erasures that a crash or an engine
// error interrupted still owe (erasures to apply again, journal lines,
// purges; as Open does), then
// reclaims space held by
// overwritten and deleted values, if the engine needs to be asked
// ([Maintainer]); call it on a schedule of your choosing.
func (s *Store) Maintain(ctx context.Context) error {
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	if _, err := s.finishRestore(ctx); err != nil {
		return err
	}
	if _, err := s.finishErasures(ctx); err != nil {
		return err
	}
	if m, ok := s.kv.(Maintainer); ok {
		// Value-log GC rewrites values, and Badger refuses writes while
		// a purge runs: it is a writer like the others.
		s.wmu.RLock()
		defer s.wmu.RUnlock()
		return m.Maintain(ctx)
	}
	return nil
}
