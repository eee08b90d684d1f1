//go:build !linux

package badger

// adviseSupported says adviseRandom marks maps on this platform.
const adviseSupported = false

// adviseRandom does nothing here: it reads /proc/self/maps on Linux.
func adviseRandom(string) int { return 0 }
