package workload_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/internal/workload"
)

// TestWriteHeavy checks the heavy-corruption set's shape: the same bytes
// for the same seed, 1 to 10 records per person, one phone per person
// shared by the copies that were not mistyped, and one person's many
// spellings on one phone.
func TestWriteHeavy(t *testing.T) {
	write := func(seed uint64) []byte {
		t.Helper()
		var b bytes.Buffer
		if err := workload.WriteHeavy(&b, workload.HeavyConfig{People: 2000, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a := write(1)
	if !bytes.Equal(a, write(1)) {
		t.Error("same seed, different bytes")
	}
	if bytes.Equal(a, write(2)) {
		t.Error("seeds 1 and 2 give the same bytes")
	}
	rows, err := csv.NewReader(bytes.NewReader(a)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.Split(workload.HeavyHeader, ","), rows[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	copies := map[string]int{}
	phones := map[string]map[string]int{} // person -> phone -> records
	names := map[string]map[string]bool{} // phone -> names
	owner := map[string]string{}          // original phone -> person
	for _, row := range rows[1:] {
		person := row[0][:len(row[0])-1]
		copies[person]++
		if phones[person] == nil {
			phones[person] = map[string]int{}
		}
		phones[person][row[4]]++
		if row[0][len(row[0])-1] == '0' {
			if other, dup := owner[row[4]]; dup {
				t.Errorf("people %s and %s have the same phone", other, person)
			}
			owner[row[4]] = person
		}
		if names[row[4]] == nil {
			names[row[4]] = map[string]bool{}
		}
		names[row[4]][row[1]+" "+row[2]] = true
	}
	if len(copies) != 2000 {
		t.Errorf("%d people, want 2000", len(copies))
	}
	manyNames, typos := 0, 0
	for person, n := range copies {
		if n < 1 || n > 10 {
			t.Errorf("person %s has %d records, want 1 to 10", person, n)
		}
		typos += len(phones[person]) - 1
	}
	for _, ns := range names {
		if len(ns) >= 4 {
			manyNames++
		}
	}
	if manyNames < 200 {
		t.Errorf("%d phones carry 4 or more spellings of their person, want at least 200", manyNames)
	}
	if typos == 0 {
		t.Error("no copy has a mistyped phone")
	}
}
