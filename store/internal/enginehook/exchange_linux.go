package enginehook

import "golang.org/x/sys/unix"

// Exchange swaps the directories a and b in one step (renameat2 with
// RENAME_EXCHANGE): at every moment each path names one whole directory.
// It returns an error wrapping [ErrNoExchange] where the filesystem cannot.
func Exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	switch err {
	case nil:
		return nil
	case unix.EINVAL, unix.ENOSYS, unix.EOPNOTSUPP:
		return ErrNoExchange
	}
	return err
}
