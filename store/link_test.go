package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

// TestAutoLink checks that AutoLink joins exactly the suggested pairs at
// its probability (their connected components), that explain names each
// link with its probability, and that an unmerge undoes one.
func TestAutoLink(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	recs := []identity.Record{
		csvRecord(t, "1", "Li Xiaoming", "1990-05-01", "13912345601"),
		csvRecord(t, "2", "Li Xiaoming", "1990-05-01", "13912345610"),
		csvRecord(t, "3", "Xiaoming Li", "1990-05-01", "13912345671"),
		csvRecord(t, "4", "Li Xiaoming", "1990-05-01", "13698765432"),
		csvRecord(t, "5", "Li Xiaoming", "1985-11-30", "13912345602"),
		csvRecord(t, "8", "Li Daming", "1990-05-01", "13912345605"),
		// An anonymous record: its only phone is masked.
		anonymous(csvRecord(t, "9", "Li Xiaoming", "1990-05-01")),
	}
	res := ingest(t, s, recs...)
	ingest(t, s, others(t, 40)...)
	const minP = 0.9

	if _, err := s.AutoLink(ctx, AutoLinkOptions{}); !errors.Is(err, ErrBadAutoLinkOptions) {
		t.Errorf("AutoLink without a probability: err %v, want ErrBadAutoLinkOptions", err)
	}

	// What AutoLink should join: the components of the suggested pairs.
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if p, ok := parent[x]; ok && p != x {
			return find(p)
		}
		return x
	}
	sgs := suggestAll(t, s, SuggestOptions{MinProbability: minP})
	if len(sgs) == 0 {
		t.Fatalf("no suggestion at %v: the test needs some", minP)
	}
	for _, sg := range sgs {
		parent[find(sg.A)] = find(sg.B)
	}
	sum, err := s.AutoLink(ctx, AutoLinkOptions{MinProbability: minP})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Suggested != len(sgs) || sum.Linked == 0 || sum.Linked > len(sgs) {
		t.Errorf("summary %+v, want %d suggested and some linked", sum, len(sgs))
	}
	key := func(i int) identity.RecordKey { return recs[i].Key() }
	holder := func(i int) string {
		t.Helper()
		p, err := s.Holder(ctx, key(i))
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	for i := range recs {
		for j := range i {
			want := find(res[i].Profile) == find(res[j].Profile)
			if got := holder(i) == holder(j); got != want {
				t.Errorf("records %s and %s: one profile %v, want %v", recs[i].ID, recs[j].ID, got, want)
			}
		}
	}

	// Explain shows a link with its probability between two records
	// AutoLink joined; unmerging one withdraws it.
	for i := range recs {
		for j := range i {
			if holder(i) != holder(j) {
				continue
			}
			e, err := s.ExplainPair(ctx, key(i), key(j))
			if err != nil {
				t.Fatal(err)
			}
			if !e.Same || !strings.Contains(e.String(), "linked by auto (p=0.9") {
				t.Errorf("explain %s", e)
			}
			if _, err := s.Detach(ctx, key(i)); err != nil {
				t.Fatal(err)
			}
			if holder(i) == holder(j) {
				t.Errorf("records %s and %s still one profile after the unmerge", recs[i].ID, recs[j].ID)
			}
			p, err := s.Holder(ctx, key(i))
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Links) != 0 {
				t.Errorf("links %+v kept after the unmerge", p.Links)
			}
			mustVerify(t, s)
			return
		}
	}
	t.Fatal("AutoLink joined no two of the records")
}

// anonymous returns r with its phones withheld as masked.
func anonymous(r identity.Record) identity.Record {
	r.Identifiers = nil
	r.Withheld = []identity.Withheld{{Field: "phone", Reason: identity.ReasonMaskedPhone, Value: "139****5601"}}
	return r
}
