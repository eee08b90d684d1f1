package store

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

// TestSuppressionAfterErasure erases a customer, then imports records
// that carry their identifiers from sources the erased records never came
// from: each is quarantined as suppressed (a tombstone only refuses the
// same record key), also after a restore of a backup that predates the
// erasure, until the operator lifts the suppression.
func TestSuppressionAfterErasure(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	if _, err := s.IngestAll(ctx, fixtures(t), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	phone := phoneID(t, "13912345601")
	p, err := s.ByIdentifier(ctx, phone)
	if err != nil {
		t.Fatal(err)
	}
	var email identity.Identifier
	for _, st := range p.Identifiers {
		if st.Identifier.Kind == identity.KindEmail {
			email = st.Identifier
		}
	}
	if email.Value == "" {
		t.Fatal("the fixture customer has no email")
	}
	var backup bytes.Buffer
	if err := s.Backup(ctx, &backup); err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	later := []identity.Record{
		{Channel: identity.ChannelCSV, Source: "crm-2027", ID: "new-1", Line: 2, Identifiers: []identity.Identifier{phone}},
		{Channel: identity.ChannelWeibo, Source: "weibo", ID: "new-2", Line: 3, Identifiers: []identity.Identifier{{Kind: identity.KindWeiboUID, Value: "999"}, email}},
		{Channel: identity.ChannelCSV, Source: "crm-2027", ID: "new-3", Line: 4, Identifiers: []identity.Identifier{{Kind: identity.KindEmail, Value: "someone-else@example.com"}}},
	}
	check := func(name string, want []Outcome) {
		t.Helper()
		res, err := s.IngestBatch(ctx, later[:2])
		if err != nil {
			t.Fatal(err)
		}
		var got []Outcome
		for _, r := range res {
			got = append(got, r.Outcome)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: outcomes (-want +got):\n%s", name, diff)
		}
	}
	check("after the erasure", []Outcome{OutcomeSuppressed, OutcomeSuppressed})
	if _, err := s.ByIdentifier(ctx, phone); !errors.Is(err, ErrNotFound) {
		t.Errorf("the erased phone after a suppressed import: %v, want ErrNotFound", err)
	}

	// A bulk import counts and lists them as quarantined.
	sum, err := s.IngestAll(ctx, records(later), IngestOptions{File: "later.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Quarantined[ReasonSuppressed] != 2 || sum.Accepted != 1 {
		t.Errorf("bulk import: %d suppressed, %d accepted; want 2 and 1", sum.Quarantined[ReasonSuppressed], sum.Accepted)
	}
	var lines []QuarantineEntry
	for q, err := range s.Quarantine(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if q.Reason == ReasonSuppressed {
			q.Time = asOf
			lines = append(lines, q)
		}
	}
	wantLines := []QuarantineEntry{
		{Channel: identity.ChannelCSV, File: "later.csv", Source: "crm-2027", Line: 2, RecordID: "new-1", Field: "phone", Reason: ReasonSuppressed, Time: asOf},
		{Channel: identity.ChannelWeibo, File: "later.csv", Source: "weibo", Line: 3, RecordID: "new-2", Field: "email", Reason: ReasonSuppressed, Time: asOf},
	}
	slices.SortFunc(lines, func(a, b QuarantineEntry) int { return a.Line - b.Line })
	if diff := cmp.Diff(wantLines, lines); diff != "" {
		t.Errorf("quarantine entries (-want +got):\n%s", diff)
	}

	// A restore of the backup taken before the erasure suppresses too.
	if err := s.Restore(ctx, bytes.NewReader(backup.Bytes())); err != nil {
		t.Fatal(err)
	}
	check("after a restore", []Outcome{OutcomeSuppressed, OutcomeSuppressed})

	// Lifted, the phone is accepted again; the email stays suppressed.
	if err := s.Unsuppress(ctx, phone); err != nil {
		t.Fatal(err)
	}
	if err := s.Unsuppress(ctx, phone); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Unsuppress: %v, want ErrNotFound", err)
	}
	check("after lifting the phone", []Outcome{OutcomeCreated, OutcomeSuppressed})
	mustVerify(t, s)
}

// TestSuppressionSparesOthersIdentifiers erases a customer whose receipt
// also shows another member's card, which the limit of one member number
// per source excluded from linking: the other member, not yet a customer
// of the store, must not find their card suppressed.
func TestSuppressionSparesOthersIdentifiers(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	mine := identity.Identifier{Kind: identity.KindMember, Scope: "pos", Value: "M1"}
	theirs := identity.Identifier{Kind: identity.KindMember, Scope: "pos", Value: "M2"}
	res, err := s.Ingest(ctx, identity.Record{Channel: identity.ChannelPOS, Source: "pos", ID: "family",
		Identifiers: []identity.Identifier{phoneID(t, "13912340001"), mine, theirs}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ctx, res.Profile); err != nil {
		t.Fatal(err)
	}
	var got []Outcome // of a later receipt with my card, then theirs
	for i, id := range []identity.Identifier{mine, theirs} {
		r, err := s.Ingest(ctx, identity.Record{Channel: identity.ChannelPOS, Source: "pos", ID: "later-" + itoa(i), Identifiers: []identity.Identifier{id}})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Outcome)
	}
	if diff := cmp.Diff([]Outcome{OutcomeSuppressed, OutcomeCreated}, got); diff != "" {
		t.Errorf("later receipts with each card (-want +got):\n%s", diff)
	}
}
