package store

import (
	"context"
	"strings"

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
	s, err := OpenKV(ctx, db, root, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
