package scvtest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// otherModuleTest is the test a module outside this repository writes:
// the code of the package example, in a file of its own.
const otherModuleTest = `package shop_test

import (
	"testing"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/scvtest"
)

func TestLoyalCustomer(t *testing.T) {
	db := scvtest.Open(t)
	sum := scvtest.LoadFixtures(t, db)
	if sum.Accepted == 0 {
		t.Fatalf("no fixture accepted: %+v", sum)
	}
	p, err := db.ByPhone(t.Context(), "+86 139 1234 5601")
	if err != nil {
		t.Fatal(err)
	}
	if p.Stage != scv.StageLoyal {
		t.Errorf("stage %s, want loyal", p.Stage)
	}
}
`

// TestOtherModule builds a module outside the repository that requires
// this one (replaced by the working tree) and runs its test, which uses
// scvtest, with the go command, offline: the module cache already holds
// every dependency.
func TestOtherModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds another module with the go command; skipped in -short mode")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to build another module with")
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	sums, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	goMod := "module example.com/shop\n\ngo 1.26\n\nrequire github.com/scv-go/scv v0.0.0\n\nreplace github.com/scv-go/scv => " + repo + "\n"
	for name, text := range map[string]string{"go.mod": goMod, "go.sum": string(sums), "shop_test.go": otherModuleTest} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(t.Context(), goCmd, "test", "-count=1", "-run", "TestLoyalCustomer", "-v", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test in another module: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestLoyalCustomer") {
		t.Errorf("go test in another module did not pass TestLoyalCustomer:\n%s", out)
	}
}
