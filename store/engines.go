package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/store/engine/postgres"
)

// IsURL reports whether the database named by dir is a PostgreSQL URL
// (postgres:// or postgresql://) rather than a Badger directory.
func IsURL(dir string) bool {
	return strings.HasPrefix(dir, "postgres") && postgres.IsURL(dir)
}

// openPostgres opens a store on the PostgreSQL database at rawURL (see
// package postgres for its parameters). The store's sealing and blind
// indexes are Badger's: nothing in the table is plaintext. Badger's
// options and its encryption at rest do not apply.
func openPostgres(ctx context.Context, rawURL string, root *crypto.RootKey, opts Options) (*Store, error) {
	db, err := postgres.Open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	// Processes that start together on a new database all create its
	// keyring and rules; all but one conflict, and open again to find
	// them made.
	for attempt := 1; ; attempt++ {
		s, err := OpenKV(ctx, db, root, opts)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, ErrConflict) || attempt == maxAttempts {
			db.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			db.Close()
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt) * 10 * time.Millisecond):
		}
	}
}
