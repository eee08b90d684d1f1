package scvtest_test

import (
	"testing"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/scvtest"
)

// A test in another module (here TestLoyalCustomer of example.com/shop)
// opens a database in memory, loads the fixtures and asks it questions;
// nothing to close, no key file. TestOtherModule in this package builds
// such a module, outside the repository, and runs this very test with the
// go command.
func Example() {
	TestLoyalCustomer := func(t *testing.T) {
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
	_ = TestLoyalCustomer
}
