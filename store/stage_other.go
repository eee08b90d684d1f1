//go:build !linux

package store

// exchangeDirs reports errNoExchange: only Linux swaps two directories in
// one step; elsewhere the restore renames twice (see swapDirs).
func exchangeDirs(a, b string) error { return errNoExchange }
