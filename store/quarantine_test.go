package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
)

// ingestText decodes input and ingests it as file.
func ingestText(t *testing.T, s *Store, file, input string, f identity.Format, opts identity.Options) Summary {
	t.Helper()
	sum, err := s.IngestAll(context.Background(), identity.Decode(strings.NewReader(input), f, opts), IngestOptions{File: file})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// entries lists the quarantine as "file line reason" strings, sorted.
func entries(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	for q, err := range s.Quarantine(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d %s", q.File, q.Line, q.Reason))
	}
	slices.Sort(out)
	return out
}

// TestQuarantineRetry checks that a quarantined record can be re-run after
// a fix: its raw record was kept (sealed), a retry with the fixed options
// ingests it and removes its entry, and a record that fails again keeps
// exactly one entry.
func TestQuarantineRetry(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	const input = "record_id,phone,order_id,note,price\nC1,13912345678,O1,gift,12.50\nC2,13912345679,O2,3.00,3.00\nC3,13912345670,O3,x\n"
	// The operator mapped the amount to the note column, not the price.
	mapping := func(m string) identity.Options {
		t.Helper()
		mp, err := identity.ParseMapping(m)
		if err != nil {
			t.Fatal(err)
		}
		return identity.Options{Mapping: mp}
	}
	sum := ingestText(t, s, "crm.csv", input, identity.FormatCSV, mapping("record_id=record_id,phone=phone,order_id=order_id,amount=note"))
	if sum.Accepted != 1 {
		t.Fatalf("accepted %d, want 1", sum.Accepted)
	}
	if diff := cmp.Diff([]string{"crm.csv 2 invalid_amount", "crm.csv 4 malformed"}, entries(t, s)); diff != "" {
		t.Fatalf("quarantine before (-want +got):\n%s", diff)
	}

	got, err := s.RetryQuarantine(ctx, QuarantineFilter{File: "crm.csv"}, mapping("record_id=record_id,phone=phone,order_id=order_id,amount=price"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Read != 2 || got.Accepted != 1 || got.Quarantined[identity.ReasonMalformed] != 1 || got.NotKept != 0 {
		t.Errorf("retry summary %+v; want read 2, accepted 1, malformed 1", got)
	}
	if diff := cmp.Diff([]string{"crm.csv 4 malformed"}, entries(t, s)); diff != "" {
		t.Errorf("quarantine after retry (-want +got):\n%s", diff)
	}
	if _, err := s.Holder(ctx, identity.RecordKey{Channel: identity.ChannelCSV, Source: "csv", ID: "C1"}); err != nil {
		t.Errorf("the retried record is not in: %v", err)
	}
}

// TestQuarantineDrop checks that dropping selects by file and by reason,
// and leaves the other entries.
func TestQuarantineDrop(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	ingestText(t, s, "a.csv", "record_id,phone,order_id,amount\nA1,13912345678,O1,abc\nA2,13912345679,O2\n", identity.FormatCSV, identity.Options{})
	ingestText(t, s, "b.csv", "record_id,phone,order_id,amount\nB1,13912345670,O3,abc\n", identity.FormatCSV, identity.Options{})
	for _, tc := range []struct {
		filter QuarantineFilter
		n      int
		left   []string
	}{
		{QuarantineFilter{File: "a.csv", Reason: identity.ReasonInvalidAmount}, 1, []string{"a.csv 3 malformed", "b.csv 2 invalid_amount"}},
		{QuarantineFilter{File: "nothing.csv"}, 0, []string{"a.csv 3 malformed", "b.csv 2 invalid_amount"}},
		{QuarantineFilter{}, 2, nil},
	} {
		n, err := s.DropQuarantine(ctx, tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		if n != tc.n {
			t.Errorf("DropQuarantine(%+v) dropped %d, want %d", tc.filter, n, tc.n)
		}
		if diff := cmp.Diff(tc.left, entries(t, s)); diff != "" {
			t.Errorf("after DropQuarantine(%+v) (-want +got):\n%s", tc.filter, diff)
		}
	}
}

// TestQuarantineUnread checks that input reported unread is a quarantine
// entry with its offset.
func TestQuarantineUnread(t *testing.T) {
	s := openTestStore(t, "", crypto.GenerateRootKey())
	sum := ingestText(t, s, "fans.json", `[{"openid":"a"}] {"openid":"b"}`, identity.FormatWeChat, identity.Options{})
	if sum.Quarantined[identity.ReasonUnread] != 1 {
		t.Errorf("summary %+v, want one unread", sum)
	}
	var got []QuarantineEntry
	for q, err := range s.Quarantine(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, q)
	}
	if len(got) != 1 || got[0].Reason != identity.ReasonUnread || got[0].Offset != 17 || got[0].File != "fans.json" {
		t.Errorf("quarantine %+v, want one unread entry of fans.json at offset 17", got)
	}
}

// TestEraseDropsQuarantinedRaw checks that an erasure removes the
// quarantine entries whose kept raw record carries the erased person's
// phone, though they never became part of the profile, and keeps the
// others.
func TestEraseDropsQuarantinedRaw(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	ingestText(t, s, "crm.csv", "record_id,phone,name\nC1,13912345678,王芳\nC2,139 1234 5678,王芳,extra\nC3,13812345679 13512345670,李娜,extra\nC5,13512345671 13912345678,x,extra\nC4,+86 139-1234-5678,王芳\n", identity.FormatCSV, identity.Options{})
	if diff := cmp.Diff([]string{"crm.csv 3 malformed", "crm.csv 4 malformed", "crm.csv 5 malformed"}, entries(t, s)); diff != "" {
		t.Fatalf("quarantine before (-want +got):\n%s", diff)
	}
	p, err := s.ByIdentifier(ctx, identity.Identifier{Kind: identity.KindPhone, Value: "+8613912345678"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"crm.csv 4 malformed"}, entries(t, s)); diff != "" {
		t.Errorf("quarantine after the erasure (-want +got):\n%s", diff)
	}
}

// TestQuarantineKeepsNoRawOfErased checks that a malformed record carrying
// an erased person's phone, imported after the erasure, is quarantined
// without its raw record: a retry finds nothing to run.
func TestQuarantineKeepsNoRawOfErased(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	ingestText(t, s, "a.csv", "record_id,phone,name\nC1,13912345678,王芳\n", identity.FormatCSV, identity.Options{})
	p, err := s.ByIdentifier(ctx, identity.Identifier{Kind: identity.KindPhone, Value: "+8613912345678"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	ingestText(t, s, "b.csv", "record_id,phone,name\nC2,139 1234 5678,王芳,extra\nC3,13812345679,李娜,extra\n", identity.FormatCSV, identity.Options{})
	sum, err := s.RetryQuarantine(ctx, QuarantineFilter{File: "b.csv"}, identity.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.NotKept != 1 || sum.Read != 1 {
		t.Errorf("retry %+v; want the erased person's entry without raw (not kept 1) and the other run (read 1)", sum)
	}
}

// TestBadgerTooLargeValueNoDump checks that a value larger than Badger
// takes is refused with its size, not with Badger's hex dump of its first
// KiB (a sealed profile).
func TestBadgerTooLargeValueNoDump(t *testing.T) {
	b := openTestBadger(t, BadgerOptions{ValueLogFileSize: 1 << 20})
	err := b.Update(context.Background(), func(tx Txn) error {
		return tx.Set([]byte("P-big"), make([]byte, 2<<20))
	})
	if err == nil {
		t.Fatal("a 2 MiB value was taken with a 1 MiB value log")
	}
	if msg := err.Error(); strings.Contains(msg, "00000000") || len(msg) > 200 || !strings.Contains(msg, "2097152") {
		t.Errorf("error %q: want its size and no dump", msg)
	}
}
