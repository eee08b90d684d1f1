package badger

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// adviseSupported says adviseRandom marks maps on this platform.
const adviseSupported = true

// adviseRandom tells the kernel that the value-log files of the database
// in dir, as this process has them mapped now, are read at random, so
// that a page fault reads the page and not the device's readahead around
// it (megabytes on some disks). Badger reads values through those maps,
// a lookup or a scan one value in a random place; when the database does
// not fit in memory, readahead fills the page cache with neighbours no
// one asked for and evicts the pages that were wanted. Badger did this
// itself once and v4 does not. It returns how many mappings it marked. A
// mapping unmapped meanwhile is skipped: the advice is a hint, and a
// range reused by another mapping only loses its readahead.
func adviseRandom(dir string) int {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0
	}
	marked := 0
	prefix := []byte(dir + string(filepath.Separator))
	for line := range bytes.Lines(maps) {
		// start-end perms offset dev inode path, the path padded with
		// spaces and possibly holding some of its own
		addr, path, _ := bytes.Cut(line, []byte(" "))
		for range 4 {
			path = bytes.TrimLeft(path, " ")
			_, path, _ = bytes.Cut(path, []byte(" "))
		}
		path = bytes.TrimSuffix(bytes.TrimSpace(path), []byte(" (deleted)"))
		if !bytes.HasPrefix(path, prefix) || !bytes.HasSuffix(path, []byte(".vlog")) {
			continue
		}
		start, end, ok := bytes.Cut(addr, []byte("-"))
		if !ok {
			continue
		}
		s, err1 := strconv.ParseUint(string(start), 16, 64)
		e, err2 := strconv.ParseUint(string(end), 16, 64)
		if err1 != nil || err2 != nil || e <= s {
			continue
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, uintptr(s), uintptr(e-s), syscall.MADV_RANDOM); errno == 0 {
			marked++
		}
	}
	return marked
}
