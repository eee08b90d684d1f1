package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestEraseSuppressesIdentifiers erases a customer, then imports a CSV
// of another source carrying their phone: the record is quarantined as
// suppressed, not a new profile, until "scv unsuppress" lifts it. The
// command's errors and output never repeat the phone.
func TestEraseSuppressesIdentifiers(t *testing.T) {
	c := newCLI(t)
	c.importFixtures()
	const phone = "13698765403" // P03
	r := c.ok("erase", phone, "--yes")
	for _, want := range []string{"suppressed", "every stored version of its wrapped data key is purged"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("erase does not say %q:\n%s", want, r.stdout)
		}
	}
	csv := "record_id,phone,name\nN1," + phone + ",张伟\n"
	importCSV := func() importSummary {
		t.Helper()
		args := []string{"import", "-", "--json", "--format", "csv", "--source", "crm-2027", "--db", c.db, "--key-file", c.key, "--as-of", asOfDay}
		r := runIn(t, csv, args...)
		if r.code != exitOK {
			t.Fatalf("import: exit %d: %s", r.code, r.stderr)
		}
		var sum importSummary
		if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	if sum := importCSV(); sum.Quarantined["suppressed"] != 1 || sum.Accepted != 0 {
		t.Errorf("import of the erased phone from another source: %+v; want it quarantined as suppressed", sum.Summary)
	}
	if r := c.run("get", phone); r.code != exitNotFound {
		t.Errorf("get after a suppressed import: exit %d, want 1", r.code)
	}
	if r := c.ok("quarantine"); !strings.Contains(r.stdout, "suppressed") {
		t.Errorf("quarantine does not list the suppressed record:\n%s", r.stdout)
	}

	r = c.ok("unsuppress", phone)
	if strings.Contains(r.stdout+r.stderr, phone[3:]) {
		t.Errorf("unsuppress repeats the phone: %q", r.stdout+r.stderr)
	}
	if r := c.run("unsuppress", phone); r.code != exitNotFound || strings.Contains(r.stderr, phone[3:]) {
		t.Errorf("unsuppress twice: exit %d, stderr %q; want 1, without the phone", r.code, r.stderr)
	}
	if r := c.run("unsuppress", "not-a-phone"); r.code != exitUsage {
		t.Errorf("unsuppress of junk: exit %d, want 2", r.code)
	}
	if sum := importCSV(); sum.Accepted != 1 || sum.ProfilesCreated != 1 {
		t.Errorf("import after unsuppress: %+v; want the record accepted", sum.Summary)
	}
	c.ok("get", phone)
}
