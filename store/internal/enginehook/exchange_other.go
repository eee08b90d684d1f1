//go:build !linux

package enginehook

// Exchange reports [ErrNoExchange]: only Linux swaps two directories in
// one step; elsewhere a restore renames twice.
func Exchange(a, b string) error { return ErrNoExchange }
