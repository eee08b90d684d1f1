package badger

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scv-go/scv/store/engine"
)

// vlogMaps returns, for each value-log map of this process under dir, its
// VmFlags line from /proc/self/smaps.
func vlogMaps(t *testing.T, dir string) []string {
	t.Helper()
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	var flags []string
	in := false
	for line := range bytes.Lines(smaps) {
		s := strings.TrimSpace(string(line))
		if f := strings.Fields(s); len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			in = strings.Contains(s, " "+dir+"/") && strings.HasSuffix(s, ".vlog")
			continue
		}
		if in && strings.HasPrefix(s, "VmFlags:") {
			flags = append(flags, s)
		}
	}
	return flags
}

func randomRead(flags string) bool { return strings.Contains(flags+" ", " rr ") }

func TestValueLogMarkedRandom(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir  with spaces") // /proc/self/maps pads paths with spaces
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := Open(Options{Dir: dir, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	big := bytes.Repeat([]byte{7}, 4096) // over the threshold: in the value log
	if err := b.Update(context.Background(), func(tx engine.Txn) error { return tx.Set([]byte("k"), big) }); err != nil {
		t.Fatal(err)
	}
	cdir := canonicalDir(dir)
	// The loop marks the maps at open; poll rather than sleep a fixed time.
	deadline := time.Now().Add(10 * time.Second)
	for {
		maps := vlogMaps(t, cdir)
		if len(maps) == 0 {
			t.Fatalf("no value-log map of %s in /proc/self/smaps: Badger no longer maps its value log, or the test misreads smaps", cdir)
		}
		all := true
		for _, f := range maps {
			all = all && randomRead(f)
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("value-log maps not marked random-read after 10 s: %q", maps)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var v []byte
	err = b.View(context.Background(), func(tx engine.Txn) error {
		v, err = tx.Get([]byte("k"))
		return err
	})
	if err != nil || !bytes.Equal(v, big) {
		t.Fatalf("read back through a marked map: %v (equal %v)", err, bytes.Equal(v, big))
	}
}

func TestReadaheadKept(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(Options{Dir: dir, NoSync: true, Readahead: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.stop != nil {
		t.Fatal("Readahead set, but the advice loop runs")
	}
	maps := vlogMaps(t, canonicalDir(dir))
	if len(maps) == 0 {
		t.Fatal("no value-log map found")
	}
	for _, f := range maps {
		if randomRead(f) {
			t.Fatalf("Readahead set, but a value-log map is marked random-read: %q", f)
		}
	}
	// And adviseRandom itself marks what it finds (the unit under the loop).
	if n := adviseRandom(canonicalDir(dir)); n != len(maps) {
		t.Fatalf("adviseRandom marked %d maps, want %d", n, len(maps))
	}
	for _, f := range vlogMaps(t, canonicalDir(dir)) {
		if !randomRead(f) {
			t.Fatalf("adviseRandom did not mark %q", f)
		}
	}
}
