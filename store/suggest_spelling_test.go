package store

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/match"
)

// others returns records of n other people, each of a name, birthday and
// phone of their own, in no block with anyone: the rest of a database, so
// that the people a test compares are not most of it (the model weighs a
// name by its frequency among the profiles).
func others(t testing.TB, n int) []identity.Record {
	t.Helper()
	var out []identity.Record
	for i := range n {
		letters := string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		out = append(out, csvRecord(t, "o"+strconv.Itoa(i), "Person"+letters+" Other"+letters,
			time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 40*i).Format(time.DateOnly), strconv.Itoa(13712345678+7919*i)))
	}
	return out
}

// TestSuggestSpellings checks that spellings of one name in other scripts
// and forms meet in a block (the name's match.NameKey) and are
// suggested: 王芳, 王 芳, Wang Fang and 王芳 in traditional characters
// share no word.
func TestSuggestSpellings(t *testing.T) {
	s := openTestStore(t, "", crypto.GenerateRootKey())
	res := ingest(t, s,
		csvRecord(t, "1", "王芳", "1990-05-01", "13912345601"),
		csvRecord(t, "2", "Wang Fang", "1990-05-01", "13912345681"),
		csvRecord(t, "3", "王 芳", "1990-05-01", "13912345610"),
	)
	ingest(t, s, others(t, 40)...)
	id := func(i int) string { return res[i-1].Profile }
	got := map[Suggestion]Suggestion{}
	for _, sg := range suggestAll(t, s, SuggestOptions{MinProbability: 1e-9}) {
		got[pair(sg.A, sg.B)] = sg
	}
	for _, p := range [][2]int{{1, 2}, {1, 3}, {2, 3}} {
		sg, ok := got[pair(id(p[0]), id(p[1]))]
		if !ok {
			t.Errorf("pair %v not suggested", p)
			continue
		}
		if sg.Evidence.Name != match.Same {
			t.Errorf("pair %v: name %v, want same", p, sg.Evidence.Name)
		}
	}
}

// TestSuggestCommonName checks the term-frequency adjustment end to end:
// the same name, birthday and far phones weigh less for 张伟, held by 30
// profiles here, than for 诸葛亮, held by two.
func TestSuggestCommonName(t *testing.T) {
	s := openTestStore(t, "", crypto.GenerateRootKey())
	var recs []identity.Record
	for i := range 28 {
		recs = append(recs, csvRecord(t, "z"+strconv.Itoa(i), "张伟",
			time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 97*i).Format(time.DateOnly), strconv.Itoa(13512345678+104729*i)))
	}
	recs = append(recs, others(t, 40)...)
	res := ingest(t, s, append(recs,
		csvRecord(t, "c1", "张伟", "1988-08-08", "13811112222"),
		csvRecord(t, "c2", "张伟", "1988-08-08", "15933334444"),
		csvRecord(t, "r1", "诸葛亮", "1981-07-23", "13655556666"),
		csvRecord(t, "r2", "诸葛亮", "1981-07-23", "18977778888"),
	)...)
	n := len(res)
	common, rare := pair(res[n-4].Profile, res[n-3].Profile), pair(res[n-2].Profile, res[n-1].Profile)
	got := map[Suggestion]Suggestion{}
	for _, sg := range suggestAll(t, s, SuggestOptions{MinProbability: 1e-12}) {
		got[pair(sg.A, sg.B)] = sg
	}
	c, okc := got[common]
	r, okr := got[rare]
	if !okc || !okr {
		t.Fatalf("pairs not compared: 张伟 %v, 诸葛亮 %v", okc, okr)
	}
	if c.Evidence.Name != match.Exact || r.Evidence.Name != match.Exact || c.Evidence.Birthday != match.Exact || r.Evidence.Birthday != match.Exact {
		t.Fatalf("evidence %v and %v, want the same name and birthday", c.Evidence, r.Evidence)
	}
	if !(c.MatchWeight < r.MatchWeight) {
		t.Errorf("张伟: weight %.2f, 诸葛亮: %.2f; want the common name weaker", c.MatchWeight, r.MatchWeight)
	}
	if !(c.Evidence.NameFrequency > 10*r.Evidence.NameFrequency) {
		t.Errorf("name frequencies: 张伟 %v, 诸葛亮 %v", c.Evidence.NameFrequency, r.Evidence.NameFrequency)
	}
	t.Logf("张伟: P %.4f, weight %.2f, frequency %.4f; 诸葛亮: P %.4f, weight %.2f, frequency %.4f",
		c.Probability, c.MatchWeight, c.Evidence.NameFrequency, r.Probability, r.MatchWeight, r.Evidence.NameFrequency)
}

// TestSuggestRebuildsVersion1 checks that an index of the first version's
// values (without name keys, marked "1") is built again: 王芳 and Wang
// Fang meet only in a name-key block.
func TestSuggestRebuildsVersion1(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, "", crypto.GenerateRootKey())
	res := ingest(t, s,
		csvRecord(t, "1", "王芳", "1990-05-01", "13912345601"),
		csvRecord(t, "2", "Wang Fang", "1990-05-01", "13912345610"))
	// Make it look like version 1: the name-key entries gone, marked "1".
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
		if err := tx.Set(blockKey(blockTag(s.kr, "n\x00王芳"), mustParseID(t, res[0].Profile)), nil); err != nil {
			return err
		}
		return tx.Set(metaKey(metaBlocks), []byte("1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, s) // an index of another version is not checked
	got := suggestAll(t, s, SuggestOptions{MinProbability: 1e-9})
	if diff := cmp.Diff([]Suggestion{pair(res[0].Profile, res[1].Profile)}, pairsOf(got)); diff != "" {
		t.Errorf("Suggest after the rebuild (-want +got):\n%s", diff)
	}
	checkBlocks(t, s)
}

func mustParseID(t *testing.T, id string) ProfileID {
	t.Helper()
	pid, err := ParseProfileID(id)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}
