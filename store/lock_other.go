//go:build !unix

package store

// lockDir is a no-op where Badger's directory lock is not a flock.
func lockDir(string) (func(), error) { return func() {}, nil }
