package store

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/match"
	"github.com/scv-go/scv/merge"
)

func TestComparePhones(t *testing.T) {
	cn := func(n string) string { return "+86" + n }
	for _, tc := range []struct {
		name string
		x, y string
		want PhoneMatch
	}{
		{"equal", cn("13912345601"), cn("13912345601"), PhoneEqual},
		{"one digit", cn("13912345601"), cn("13912345681"), PhoneOneDigit},
		{"first digit", cn("13912345601"), cn("23912345601"), PhoneOneDigit},
		{"adjacent transposition", cn("13912345601"), cn("13912345610"), PhoneTransposed},
		{"transposition at the start", cn("13912345601"), cn("31912345601"), PhoneTransposed},
		{"two digits adjacent, not swapped", cn("13912345601"), cn("13912345699"), PhoneTwoDigits},
		{"two digits apart", cn("13912345601"), cn("13912545607"), PhoneTwoDigits},
		{"swap of non-adjacent digits", cn("13912345601"), cn("13912305641"), PhoneTwoDigits},
		{"three digits", cn("13912345601"), cn("13912399991"), PhoneFar},
		{"inserted digit", cn("13912345601"), cn("139123456011"), PhoneFar},
		{"other country code", cn("13912345601"), "+85213912345601", PhoneFar},
		{"Australian national numbers", "+61422718532", "+61422718523", PhoneTransposed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := comparePhones(tc.x, tc.y); got != tc.want {
				t.Errorf("comparePhones(%v, %v) = %q, want %q", tc.x, tc.y, got, tc.want)
			}
			if got := comparePhones(tc.y, tc.x); got != tc.want {
				t.Errorf("comparePhones is not symmetric: (%v, %v) = %q, want %q", tc.y, tc.x, got, tc.want)
			}
		})
	}
}

func TestEvidenceString(t *testing.T) {
	e := Evidence{Name: match.Same, Birthday: match.Exact, Phone: PhoneTransposed, City: match.Different}
	if got, want := e.String(), "name same, birthday exact, phone transposed, city different"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestBlockValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  blockSource
		want []string
	}{
		{"name only", blockSource{names: [2]string{"Jack Hemsworth"}}, []string{"n\x00hemsworth jack"}},
		{"name and birthday", blockSource{names: [2]string{"Jack Hemsworth"}, births: [2]string{"1978-03-01"}},
			[]string{"n\x00hemsworth jack", "b\x001978-03-01\x00jack", "b\x001978-03-01\x00hemsworth"}},
		{"initials are no block", blockSource{names: [2]string{"J. R. Hartley"}, births: [2]string{"1930-01-02"}},
			[]string{"n\x00hartley j r", "b\x001930-01-02\x00hartley"}},
		{"Chinese name", blockSource{names: [2]string{"王伟"}, births: [2]string{"1990-05-01"}},
			[]string{"n\x00王伟", "n\x00wang wei", "b\x001990-05-01\x00王伟"}},
		{"middle dot separates words", blockSource{names: [2]string{"买买提·艾力"}},
			[]string{"n\x00买买提 艾力", "n\x00mai maitiaili"}},
		{"spellings of one name share a name-key block", blockSource{names: [2]string{"陳芳", "Fang Wang"}},
			[]string{"n\x00陳芳", "n\x00fang wang", "n\x00chen fang"}},
		{"birthday without a name is no block", blockSource{births: [2]string{"1990-05-01"}}, nil},
		{"capped", blockSource{names: [2]string{"Anna Maria Lena Smith", "Anna Maria Lena Smyth"}, births: [2]string{"1990-05-01", "1990-05-10"}},
			[]string{
				"n\x00anna lena maria smith", "n\x00anna lena maria smyth",
				"b\x001990-05-01\x00anna", "b\x001990-05-01\x00maria", "b\x001990-05-01\x00lena", "b\x001990-05-01\x00smith",
				"b\x001990-05-01\x00smyth", "b\x001990-05-10\x00anna",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.src.values()); diff != "" {
				t.Errorf("values() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// csvRecord is a CRM record with a name, a birthday and phones.
func csvRecord(t testing.TB, id, name, birthday string, phones ...string) identity.Record {
	t.Helper()
	r := identity.Record{Channel: identity.ChannelCSV, Source: "crm", ID: id}
	r.Attributes.Name = name
	if birthday != "" {
		d, err := identity.ParseDate(birthday)
		if err != nil {
			t.Fatal(err)
		}
		r.Attributes.Birthday = d
	}
	for _, p := range phones {
		r.Identifiers = append(r.Identifiers, phoneID(t, p))
	}
	return r
}

func ingest(t testing.TB, s *Store, recs ...identity.Record) []Result {
	t.Helper()
	var out []Result
	for _, r := range recs {
		res, err := s.Ingest(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res)
	}
	return out
}

// blockIndex returns the blocking index as stored: the tags of each
// profile's entries, sorted.
func blockIndex(t testing.TB, s *Store) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	err := s.kv.View(context.Background(), func(tx Txn) error {
		for e, err := range tx.Scan([]byte{nsBlock}, nil, true) {
			if err != nil {
				return err
			}
			tag, id, err := splitBlockKey(e.Key)
			if err != nil {
				return err
			}
			got[id.String()] = append(got[id.String()], string(tag))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tags := range got {
		slices.Sort(tags)
	}
	return got
}

// checkBlocks checks that the blocking index holds, for every live
// profile, exactly the blocks its names and birthdays give, and nothing
// else, and that Verify agrees.
func checkBlocks(t *testing.T, s *Store) {
	t.Helper()
	want := map[string][]string{}
	err := s.Snapshot(context.Background(), func(p *merge.Profile) error {
		var tags []string
		for _, tag := range blockTags(s.kr, blockSourceOf(p)) {
			tags = append(tags, string(tag))
		}
		if len(tags) > 0 {
			slices.Sort(tags)
			want[p.ID] = tags
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, blockIndex(t, s)); diff != "" {
		t.Errorf("blocking index mismatch (-want +got):\n%s", diff)
	}
	mustVerify(t, s)
}

// tagsOf returns the sorted tags of blocking values written out by hand.
func tagsOf(kr *crypto.Keyring, values ...string) []string {
	var out []string
	for _, v := range values {
		out = append(out, string(blockTag(kr, v)))
	}
	slices.Sort(out)
	return out
}

func TestBlockingIndexFollowsProfiles(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	liNa := []string{"n\x00li na", "b\x001990-05-01\x00li", "b\x001990-05-01\x00na"}

	// Two profiles, one person: the same name and birthday, phones one
	// digit apart.
	res := ingest(t, s,
		csvRecord(t, "1", "Li Na", "1990-05-01", "13912345601"),
		csvRecord(t, "2", "Li Na", "1990-05-01", "13912345681"))
	a, b := res[0].Profile, res[1].Profile
	checkBlocks(t, s)
	if diff := cmp.Diff(map[string][]string{a: tagsOf(s.kr, liNa...), b: tagsOf(s.kr, liNa...)}, blockIndex(t, s)); diff != "" {
		t.Fatalf("after two records (-want +got):\n%s", diff)
	}

	// A record with both phones merges them: the absorbed profile's
	// entries go.
	res = ingest(t, s, csvRecord(t, "3", "Li Na", "", "13912345601", "13912345681"))
	if res[0].Outcome != OutcomeMerged {
		t.Fatalf("third record: %v, want merged", res[0].Outcome)
	}
	checkBlocks(t, s)
	if got := blockIndex(t, s); len(got) != 1 || got[res[0].Profile] == nil {
		t.Fatalf("after the merge the index holds profiles %v, want only %s", slices.Collect(maps.Keys(got)), res[0].Profile)
	}

	// Detaching the binding record splits the profile again: the record
	// keeps the phone it shares with one of the others, and is kept
	// apart from the other.
	if _, err := s.Detach(ctx, identity.RecordKey{Channel: identity.ChannelCSV, Source: "crm", ID: "3"}); err != nil {
		t.Fatal(err)
	}
	checkBlocks(t, s)
	if got := blockIndex(t, s); len(got) != 2 {
		t.Fatalf("after Detach the index holds %d profiles, want 2", len(got))
	}

	// A later version of a record with another name moves its profile's
	// blocks.
	renamed := csvRecord(t, "1", "Wang Fang", "1990-05-01", "13912345601")
	renamed.Observed = asOf.Add(-time.Hour)
	res = ingest(t, s, renamed)
	if res[0].Outcome != OutcomeUpdated {
		t.Fatalf("renamed record: %v, want updated", res[0].Outcome)
	}
	checkBlocks(t, s)
	if diff := cmp.Diff(tagsOf(s.kr, "n\x00fang wang", "b\x001990-05-01\x00wang", "b\x001990-05-01\x00fang"), blockIndex(t, s)[res[0].Profile]); diff != "" {
		t.Fatalf("after renaming (-want +got):\n%s", diff)
	}

	// Erasure removes the erased profile's entries.
	if err := s.Erase(ctx, res[0].Profile); err != nil {
		t.Fatal(err)
	}
	checkBlocks(t, s)
	if got := blockIndex(t, s); got[res[0].Profile] != nil {
		t.Fatalf("the erased profile is still in the blocking index")
	}
}

func TestBlockingIndexPipelinedIngest(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	var recs []identity.Record
	for i := range 300 {
		// Every third record binds the phones of the two before it, so
		// the batches merge and move profiles they created earlier.
		name := []string{"Li Na", "Wang Fang", "Zhang Wei"}[i%3]
		phone := "139" + strings.Repeat("0", 4) + string(rune('0'+i/100)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10)) + "1"
		r := csvRecord(t, "r"+phone, name, "1990-05-01", phone)
		if i%3 == 2 {
			r.Identifiers = append(r.Identifiers, recs[i-1].Identifiers[0])
		}
		recs = append(recs, r)
	}
	seq := func(yield func(identity.Record, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
	if _, err := s.IngestAll(ctx, seq, IngestOptions{BatchSize: 16}); err != nil {
		t.Fatal(err)
	}
	checkBlocks(t, s)
}

func TestVerifyFindsBlockingDamage(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(tx Txn, s *Store, entry []byte) error
	}{
		{"lost entry", func(tx Txn, s *Store, entry []byte) error { return tx.Delete(entry) }},
		{"stray entry", func(tx Txn, s *Store, entry []byte) error {
			return tx.Set(blockKey(blockTag(s.kr, "n\x00nobody"), NewProfileID()), nil)
		}},
		{"entry of another block", func(tx Txn, s *Store, entry []byte) error {
			_, id, _ := splitBlockKey(entry)
			if err := tx.Delete(entry); err != nil {
				return err
			}
			return tx.Set(blockKey(blockTag(s.kr, "n\x00somebody else"), id), nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := openTestStore(t, "", crypto.GenerateRootKey())
			ingest(t, s, csvRecord(t, "1", "Li Na", "1990-05-01", "13912345601"))
			mustVerify(t, s)
			err := s.kv.Update(ctx, func(tx Txn) error {
				for e, err := range tx.Scan([]byte{nsBlock}, nil, true) {
					if err != nil {
						return err
					}
					return tc.do(tx, s, bytes.Clone(e.Key))
				}
				return errors.New("no blocking entry")
			})
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() {
				t.Fatal("Verify found nothing wrong")
			}
			t.Logf("problems: %v", r.Problems)
		})
	}
}

// suggestAll collects Suggest's stream.
func suggestAll(t *testing.T, s *Store, opts SuggestOptions) []Suggestion {
	t.Helper()
	var out []Suggestion
	for sg, err := range s.Suggest(context.Background(), opts) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sg)
	}
	return out
}

func pair(a, b string) Suggestion {
	if b < a {
		a, b = b, a
	}
	return Suggestion{A: a, B: b}
}

// pairsOf returns the pairs of suggestions, without scores and evidence,
// sorted.
func pairsOf(sgs []Suggestion) []Suggestion {
	out := make([]Suggestion, len(sgs))
	for i, sg := range sgs {
		out[i] = pair(sg.A, sg.B)
	}
	slices.SortFunc(out, func(x, y Suggestion) int { return strings.Compare(x.A+x.B, y.A+y.B) })
	return out
}

func TestSuggest(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	res := ingest(t, s,
		csvRecord(t, "1", "Li Xiaoming", "1990-05-01", "13912345601"),
		csvRecord(t, "2", "Li Xiaoming", "1990-05-01", "13912345610"), // transposed digits: suggested
		csvRecord(t, "3", "Xiaoming Li", "1990-05-01", "13912345671"), // words swapped, one digit from 1: suggested with 1
		csvRecord(t, "4", "Li Xiaoming", "1990-05-01", "13698765432"), // another phone: not suggested
		csvRecord(t, "5", "Li Xiaoming", "1985-11-30", "13912345602"), // another birthday
		csvRecord(t, "6", "Zhang Wei", "1990-05-01", "13912345603"),   // shares only the birthday
		csvRecord(t, "7", "Li Xiaomin", "1990-05-01", "13912345604"),  // one edit from 1's name (in a block with it: "li" and the birthday), one digit from 1's phone
		csvRecord(t, "8", "Li Daming", "1990-05-01", "13912345605"),   // another given name, in a block with 1: never suggested
	)
	id := func(i int) string { return res[i-1].Profile }
	// Forty other people, none of them in a block with the seven, so that
	// Li Xiaoming is not the name of most of the database (the model
	// weighs a name by its frequency among the profiles).
	ingest(t, s, others(t, 40)...)

	// The same name and birthday are shared by five profiles: the phones
	// decide.
	all := map[Suggestion]Suggestion{}
	for _, sg := range suggestAll(t, s, SuggestOptions{MinProbability: 1e-9}) {
		all[pair(sg.A, sg.B)] = sg
		if sg.Score != sg.Probability || sg.Probability <= 0 || sg.Probability >= 1 {
			t.Errorf("suggestion %+v: score and probability differ, or the probability is out of (0, 1)", sg)
		}
		if got := 1 / (1 + math.Exp2(-sg.MatchWeight)); math.Abs(got-sg.Probability) > 1e-9 {
			t.Errorf("suggestion %+v: match weight %v gives probability %v", sg, sg.MatchWeight, got)
		}
	}
	prob := func(i, j int) float64 { return all[pair(id(i), id(j))].Probability }
	for p := range all {
		if p.A == id(8) || p.B == id(8) {
			t.Errorf("profile 8 (another given name) suggested: %+v", all[p])
		}
	}
	if want := (Evidence{Name: match.Exact, Birthday: match.Exact, Phone: PhoneTransposed}); all[pair(id(1), id(2))].Evidence.Name != want.Name ||
		all[pair(id(1), id(2))].Evidence.Phone != want.Phone || all[pair(id(1), id(2))].Evidence.Birthday != want.Birthday {
		t.Errorf("evidence of 1 and 2: %+v, want %+v", all[pair(id(1), id(2))].Evidence, want)
	}
	for _, o := range []struct {
		why              string
		stronger, weaker [2]int
	}{
		{"a transposed phone weighs as one digit apart", [2]int{1, 2}, [2]int{3, 7}},
		{"names one typo apart are weaker than the same name", [2]int{1, 3}, [2]int{1, 7}},
		{"phones one digit apart are stronger than two", [2]int{1, 3}, [2]int{2, 3}},
		{"phones two digits apart are stronger than far ones", [2]int{2, 3}, [2]int{1, 4}},
		{"the same birthday is stronger than another", [2]int{1, 3}, [2]int{1, 5}},
	} {
		if ps, pw := prob(o.stronger[0], o.stronger[1]), prob(o.weaker[0], o.weaker[1]); !(ps > pw) {
			t.Errorf("%s: P%v = %.4f, P%v = %.4f", o.why, o.stronger, ps, o.weaker, pw)
		}
	}
	if p := prob(1, 5); p >= DefaultMinProbability {
		t.Errorf("another birthday: probability %.4f, want below the default", p)
	}

	// At the default, the pairs of the same birthday and phones a digit
	// or two apart, never a far phone or another birthday.
	got := suggestAll(t, s, SuggestOptions{})
	for _, want := range []Suggestion{pair(id(1), id(2)), pair(id(1), id(3)), pair(id(2), id(3))} {
		if !slices.Contains(pairsOf(got), want) {
			t.Errorf("pair %v missing at the default probability", want)
		}
	}
	var for1Want []Suggestion
	for _, sg := range got {
		if sg.Probability < DefaultMinProbability || sg.Evidence.Birthday != match.Exact || sg.Evidence.Phone == PhoneFar {
			t.Errorf("suggestion %+v at the default probability", sg)
		}
		if sg.A == id(1) || sg.B == id(1) {
			for1Want = append(for1Want, pair(sg.A, sg.B))
		}
	}

	// A lower threshold lets in a name one typo apart (1, 7) and the same
	// name and birthday with a far phone (1, 4); MinScore, the first
	// version's name, still works.
	low := pairsOf(suggestAll(t, s, SuggestOptions{MinScore: 0.4}))
	for _, p := range []Suggestion{pair(id(1), id(4)), pair(id(1), id(7))} {
		if !slices.Contains(low, p) {
			t.Errorf("MinScore 0.4: pair %v missing", p)
		}
	}
	if slices.ContainsFunc(low, func(p Suggestion) bool { return p.A == id(6) || p.B == id(6) }) {
		t.Errorf("profile 6 shares only a birthday and was suggested")
	}

	// SuggestFor gives the pairs of one profile, best first.
	for1, err := s.SuggestFor(ctx, id(1), SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pairsOf(for1Want), pairsOf(for1)); diff != "" {
		t.Errorf("SuggestFor pairs (-want +got):\n%s", diff)
	}
	if !slices.IsSortedFunc(for1, func(x, y Suggestion) int { return -cmpFloat(x.Probability, y.Probability) }) {
		t.Errorf("SuggestFor not sorted by probability: %+v", for1)
	}

	// Dismissing a suggestion (Separate) keeps the pair out from then on.
	k := func(id string) identity.RecordKey {
		return identity.RecordKey{Channel: identity.ChannelCSV, Source: "crm", ID: id}
	}
	if _, err := s.Separate(ctx, k("1"), k("2")); err != nil {
		t.Fatal(err)
	}
	// (The model is estimated again, from one pair fewer: a lower
	// threshold keeps the check about the pair, not the estimate.)
	after := pairsOf(suggestAll(t, s, SuggestOptions{MinProbability: 0.5}))
	if slices.Contains(after, pair(id(1), id(2))) {
		t.Errorf("a separated pair is still suggested")
	}
	if !slices.Contains(after, pair(id(1), id(3))) {
		t.Errorf("separating 1 and 2 lost the pair 1, 3")
	}

	// Oversized blocks are skipped.
	if got := suggestAll(t, s, SuggestOptions{MaxBlock: 2}); len(got) != 0 {
		t.Errorf("MaxBlock 2: %d suggestions, want none (every block holds more)", len(got))
	}

	if _, err := s.SuggestFor(ctx, NewProfileID().String(), SuggestOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("SuggestFor of an unknown id: %v, want ErrNotFound", err)
	}
	for _, bad := range []SuggestOptions{{MinScore: -0.1}, {MinScore: 1.5}, {MinProbability: -0.1}, {MinProbability: 1.5}, {MaxBlock: -1}} {
		if _, err := s.SuggestFor(ctx, id(1), bad); !errors.Is(err, ErrBadSuggestOptions) {
			t.Errorf("SuggestFor with %+v: %v, want ErrBadSuggestOptions", bad, err)
		}
		for _, err := range s.Suggest(ctx, bad) {
			if !errors.Is(err, ErrBadSuggestOptions) {
				t.Errorf("Suggest with %+v: %v, want ErrBadSuggestOptions", bad, err)
			}
		}
	}
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// TestSuggestPages checks that a listing longer than a page gives every
// pair exactly once, including pairs that share several blocks.
func TestSuggestPages(t *testing.T) {
	s := openTestStore(t, "", crypto.GenerateRootKey())
	var recs []identity.Record
	for i := range 2 * pageSize / 3 {
		// Pairs of records: the same two-word name and birthday (three
		// shared blocks), phones one digit apart.
		name := "Person " + strings.Repeat(string(rune('a'+i%26)), 1+i/26)
		base := 13912000005 + 100*i
		recs = append(recs,
			csvRecord(t, "a"+name, name, "1990-05-01", strconv.Itoa(base)),
			csvRecord(t, "b"+name, name, "1990-05-01", strconv.Itoa(base+1)))
	}
	if _, err := s.IngestBatch(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	// Every record shares the block of "person" and the birthday: it is
	// oversized and skipped, and each pair comes out of one of the two
	// other blocks it shares.
	got := suggestAll(t, s, SuggestOptions{})
	if len(got) != len(recs)/2 {
		t.Fatalf("%d suggestions, want %d", len(got), len(recs)/2)
	}
	seen := map[Suggestion]bool{}
	for _, sg := range got {
		p := pair(sg.A, sg.B)
		if seen[p] {
			t.Fatalf("pair %v suggested twice", p)
		}
		seen[p] = true
	}
}

// TestSuggestBuildsIndex checks that a database made before the blocking
// index existed gets it built on the first Suggest, and that Verify checks
// it only from then on.
func TestSuggestBuildsIndex(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	res := ingest(t, s,
		csvRecord(t, "1", "Li Na", "1990-05-01", "13912345601"),
		csvRecord(t, "2", "Li Na", "1990-05-01", "13912345681"))
	// Make it look old: no marker, no entries, and a stale entry left by
	// an interrupted build.
	err := s.kv.Update(ctx, func(tx Txn) error {
		var keys [][]byte
		for e, err := range tx.Scan([]byte{nsBlock}, nil, true) {
			if err != nil {
				return err
			}
			keys = append(keys, bytes.Clone(e.Key))
		}
		for _, k := range keys {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		if err := tx.Set(blockKey(blockTag(s.kr, "n\x00stale"), NewProfileID()), nil); err != nil {
			return err
		}
		return tx.Delete(metaKey(metaBlocks))
	})
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, s) // an index not built yet is not checked
	got := suggestAll(t, s, SuggestOptions{})
	if diff := cmp.Diff([]Suggestion{pair(res[0].Profile, res[1].Profile)}, pairsOf(got)); diff != "" {
		t.Errorf("Suggest after the build (-want +got):\n%s", diff)
	}
	checkBlocks(t, s)
}

// TestSuggestNoPersonalData checks that suggestions carry profile ids,
// scores and evidence words only.
func TestSuggestNoPersonalData(t *testing.T) {
	s := openTestStore(t, "", crypto.GenerateRootKey())
	ingest(t, s,
		csvRecord(t, "1", "Zhuge Liang", "1981-07-23", "13912345601"),
		csvRecord(t, "2", "Zhuge Liang", "1981-07-23", "13912345681"))
	got := suggestAll(t, s, SuggestOptions{})
	if len(got) != 1 {
		t.Fatalf("%d suggestions, want 1", len(got))
	}
	text := got[0].Evidence.String()
	for _, secret := range []string{"zhuge", "liang", "1981", "07-23", "139", "5601"} {
		if strings.Contains(strings.ToLower(text), secret) {
			t.Errorf("evidence %q contains %q", text, secret)
		}
	}
}

// FuzzNames checks the blocking values of any two names: few, distinct
// and blind to word order. (The name comparisons are package match's,
// fuzzed there.)
func FuzzNames(f *testing.F) {
	for _, s := range [][2]string{
		{"Jack Hemsworth", "jack hemsworxth"}, {"王伟", "王玮"}, {"买买提·艾力", "艾力 买买提"},
		{"J. R. Hartley", "hartley j r"}, {"Anna Maria", "anna  maria"}, {"", "x"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, x, y string) {
		src := blockSource{names: [2]string{x, y}, births: [2]string{"1990-05-01"}}
		vs := src.values()
		if len(vs) > maxBlocksPerProfile || len(slices.Compact(slices.Sorted(slices.Values(vs)))) != len(vs) {
			t.Fatalf("values(%q, %q) = %q: too many or repeated", x, y, vs)
		}
		words := nameWords(x)
		slices.Reverse(words)
		rev := blockSource{names: [2]string{strings.Join(words, " ")}}
		if len(words) > 0 && rev.values()[0] != (blockSource{names: [2]string{x}}).values()[0] {
			t.Fatalf("the name block of %q depends on word order", x)
		}
	})
}

// BenchmarkSuggest measures a full Suggest over 20,000 profiles: 10,000
// people with two profiles each (the same name and birthday, phones one
// digit apart); given names come from a small pool, so that birthday
// blocks hold several people.
func BenchmarkSuggest(b *testing.B) {
	s := openTestStore(b, "", crypto.GenerateRootKey())
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		w := make([]byte, 7)
		for i := range w {
			w[i] = byte('a' + rng.IntN(26))
		}
		return string(w)
	}
	given := []string{"Jack", "Olivia", "Noah", "Mia", "Liam", "Ava", "Ethan", "Isla", "Mason", "Zoe"}
	var recs []identity.Record
	for i := range 10000 {
		name := given[rng.IntN(len(given))] + " " + word()
		birthday := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365)).Format(time.DateOnly)
		phone := 13912000005 + 10*(i*7919%10000)
		recs = append(recs,
			csvRecord(b, "a"+strconv.Itoa(i), name, birthday, strconv.Itoa(phone)),
			csvRecord(b, "b"+strconv.Itoa(i), name, birthday, strconv.Itoa(phone+1)))
	}
	if _, err := s.IngestAll(context.Background(), slices2seq(recs), IngestOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = 0
		for _, err := range s.Suggest(context.Background(), SuggestOptions{}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	if n != 10000 {
		b.Fatalf("%d suggestions, want 10000", n)
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
}

// TestSuggestForClosed: SuggestFor on a closed store is ErrClosed, not a
// nil dereference.
func TestSuggestForClosed(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "", Options{Keys: testKeys(crypto.GenerateRootKey()), Badger: BadgerOptions{InMemory: true}})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = s.SuggestFor(ctx, NewProfileID().String(), SuggestOptions{})
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("SuggestFor on a closed store: %v", err)
	}
}
