//go:build !unix

package store

// lockDir is a no-op where Badger's directory lock is not a flock.
func lockDir(string) (func(), error) { return func() {}, nil }

// freeSpace is unknown here: it reports more than any check asks for.
func freeSpace(string) (uint64, error) { return 1 << 62, nil }

// openFileLimit is a limit on open files no platform here sets lower.
func openFileLimit() int { return 1 << 13 }
