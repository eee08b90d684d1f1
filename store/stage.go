package store

import (
	"github.com/scv-go/scv/store/engine"
	"github.com/scv-go/scv/store/internal/enginehook"
)

// The Badger engine builds a restore beside the live directory and swaps
// it in (see package badger). The seams below, under the names the
// store's tests use, reach into it through package enginehook.

func init() {
	enginehook.RestoreStep = func(step string) { restoreStep(step) }
	enginehook.FreeSpace = func(dir string) (uint64, error) { return freeSpaceFunc(dir) }
	enginehook.ExchangeDirs = func(a, b string) error { return exchangeDirsFunc(a, b) }
}

// errNoExchange is returned by exchangeDirs where the filesystem cannot
// swap two directories in one step.
var errNoExchange = enginehook.ErrNoExchange

func stagingDir(dir string) string  { return dir + ".restore-new" }
func replacedDir(dir string) string { return dir + ".restore-old" }

// restoreStep is called as a restore passes each of its steps; tests
// cancel or kill the process there.
var restoreStep = func(step string) {}

// exchangeDirsFunc is the engine's swap of two directories, but in tests
// of the two renames.
var exchangeDirsFunc = enginehook.Exchange

// freeSpaceFunc is the engine's free-space check, but in tests that fill
// the disk.
var freeSpaceFunc = freeSpace

// ErrDiskFull is returned, wrapped with the directory and the space left,
// when an operation stops because the filesystem is (nearly) full. What
// it was writing is left as it was before. It is [engine.ErrDiskFull].
var ErrDiskFull = engine.ErrDiskFull
