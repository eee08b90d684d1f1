package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestRestoreKeepsWhoSharedAProfile is issue 15's M777 scenario through
// the command: two receipts share a member card with two phones and two
// names, so they merge; the operator backs up, unmerges one receipt,
// erases that customer and restores the backup. The other customer comes
// back with their receipt and imports as before; the erased one does
// not.
func TestRestoreKeepsWhoSharedAProfile(t *testing.T) {
	c := newCLI(t)
	const (
		kept, erased = "13912340001", "13912340002"
		receipts     = "paid_at,store_id,receipt_no,member_no,mobile,customer_name,amount,currency,category,status,referrer_mobile\n" +
			"2026-10-01 10:00:00,SZ09,R-A,M777," + kept + ",王芳,100.00,CNY,护肤,paid,\n" +
			"2026-10-02 10:00:00,SZ09,R-B,M777," + erased + ",李娜,200.00,CNY,护肤,paid,\n"
	)
	importReceipts := func() importSummary {
		t.Helper()
		r := runIn(t, receipts, "import", "-", "--json", "--format", "pos", "--source", "shop", "--db", c.db, "--key-file", c.key, "--as-of", asOfDay)
		if r.code != exitOK {
			t.Fatalf("import: exit %d: %s", r.code, r.stderr)
		}
		var sum importSummary
		if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	importReceipts()
	p := jsonLines[profileJSON](t, c.ok("get", "--json", kept).stdout)[0]
	if len(p.Sources) != 2 {
		t.Fatalf("the receipts made a profile of %d sources, want them merged", len(p.Sources))
	}
	backup := filepath.Join(c.dir, "before.bak")
	c.ok("backup", backup)
	c.ok("unmerge", "pos/shop/SZ09/R-B")
	c.ok("erase", erased, "--yes")
	c.ok("restore", backup)

	p = jsonLines[profileJSON](t, c.ok("get", "--json", kept).stdout)[0]
	var sources []string
	for _, s := range p.Sources {
		sources = append(sources, s.RecordID)
	}
	if strings.Join(sources, ",") != "SZ09/R-A" || p.Name != "王芳" || p.Metrics.Orders != 1 {
		t.Errorf("the kept customer after the restore: sources %v, name %q, %d orders; want R-A, 王芳, 1", sources, p.Name, p.Metrics.Orders)
	}
	if r := c.run("get", erased); r.code != exitNotFound {
		t.Errorf("get of the erased customer after the restore: exit %d, want 1", r.code)
	}
	sum := importReceipts()
	if sum.Unchanged != 1 || sum.Quarantined["erased"] != 1 || sum.ProfilesCreated != 0 {
		t.Errorf("re-import after the restore: %+v; want R-A unchanged, R-B refused as erased", sum.Summary)
	}
	c.ok("verify")
}
