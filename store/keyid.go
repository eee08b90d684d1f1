package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/store/engine"
)

// keyIDFile is a file in the database directory naming the root key the
// database was last opened with (its public key id, never key material)
// and whether Badger's encryption at rest is on. When Badger refuses the
// at-rest key it tells a wrong key apart from a damaged key registry,
// which Badger reports alike.
const keyIDFile = "SCV-KEY-ID"

// ErrEngineDamaged is returned by Open and Verify when the engine's own
// files are damaged (Badger's key registry, a table); the error names the
// file. Restore a backup.
var ErrEngineDamaged = engine.ErrDamaged

func keyIDText(root *crypto.RootKey, atRest bool) string {
	return fmt.Sprintf("scv database\nroot key id %s\nat-rest encryption %v\n", root.ID(), atRest)
}

// writeKeyID records the key the database in dir opened with, if the file
// does not say so already. A failure is not the open's: the file only
// improves a later diagnosis.
func writeKeyID(dir string, root *crypto.RootKey, atRest bool) {
	p := filepath.Join(dir, keyIDFile)
	want := keyIDText(root, atRest)
	if b, err := os.ReadFile(p); err == nil && string(b) == want {
		return
	}
	tmp := p + ".tmp"
	if os.WriteFile(tmp, []byte(want), 0o600) == nil {
		os.Rename(tmp, p)
	}
}

// wrongKeyError explains Badger's refusal of the at-rest key for the
// database in dir: a wrong root key, at-rest encryption on or off against
// the database, or, when the database was last opened with this very key
// and setting, a damaged key registry.
func wrongKeyError(dir string, root *crypto.RootKey, atRest bool, err error) error {
	b, rerr := os.ReadFile(filepath.Join(dir, keyIDFile))
	if rerr != nil {
		return fmt.Errorf("%w: the database in %s was created with another root key than %v", ErrWrongKey, filepath.Base(dir), root)
	}
	text := string(b)
	switch {
	case text == keyIDText(root, atRest):
		return fmt.Errorf("%w: %s (Badger's registry of at-rest data keys) does not decrypt, yet the database was last opened with this root key (key id %s) and the same at-rest setting: the registry is damaged and the data cannot be read without it; restore a backup (%v)",
			ErrEngineDamaged, filepath.Join(dir, "KEYREGISTRY"), root.ID(), err)
	case strings.Contains(text, "root key id "+root.ID()+"\n"):
		return fmt.Errorf("%w: the database in %s was last opened with at-rest encryption %v", ErrWrongKey, filepath.Base(dir), !atRest)
	}
	last := ""
	for _, line := range strings.Split(text, "\n") {
		if id, ok := strings.CutPrefix(line, "root key id "); ok {
			last = id
		}
	}
	return fmt.Errorf("%w: the database in %s was last opened with root key id %s, not %s", ErrWrongKey, filepath.Base(dir), last, root.ID())
}
