//go:build unix

package enginehook

import "syscall"

// Statfs returns the bytes an unprivileged process may still write on the
// filesystem holding dir.
func Statfs(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}
