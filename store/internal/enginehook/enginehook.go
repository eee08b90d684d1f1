// Package enginehook holds the seams through which the store's tests
// reach into the Badger engine: the steps of a restore, the free space of
// a filesystem, and the swap of two directories. Package store forwards
// its own test seams (restoreStep, freeSpaceFunc, exchangeDirsFunc) here;
// nothing else sets them.
package enginehook

import "errors"

// RestoreStep is called as a restore passes each of its steps ("loaded",
// "prepared", "moved-aside", and the store's own); tests cancel or kill
// the process there.
var RestoreStep = func(step string) {}

// FreeSpace returns the bytes an unprivileged process may still write on
// the filesystem holding dir; tests fake a full disk with it.
var FreeSpace = Statfs

// ExchangeDirs swaps two directories in one step, or returns an error
// wrapping [ErrNoExchange]; tests force the two renames with it.
var ExchangeDirs = Exchange

// ErrNoExchange is returned by [Exchange] where the filesystem cannot
// swap two directories in one step.
var ErrNoExchange = errors.New("store: directories cannot be exchanged here")
