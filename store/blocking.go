package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/scv-go/scv/crypto"
	"github.com/scv-go/scv/match"
	"github.com/scv-go/scv/merge"
)

// The blocking index (namespace B) groups profiles that might be the same
// person although no identifier links them, so that [Store.Suggest] finds
// candidates by point reads and one prefix scan per block instead of
// comparing every profile with every other. Its keys are
//
//	B tag pid
//
// with an empty value, where tag is the blind index (kind "block") of one
// blocking value of the profile's names and birthdays:
//
//   - "n" and the name's words, case-folded and sorted: profiles with the
//     same name, whatever the word order; and "n" and the name's
//     [match.NameKey]: spellings of one name in other scripts and forms
//     (王芳, Wang Fang, 王 芳, homophones such as 汪芳; 陳芳 and 陈芳);
//   - "b", a birthday and one word of a name (words of one letter left out
//     when the name has several): profiles born the same day that share a
//     word of their names, so that a typo in one word of a name still
//     meets the other.
//
// The names are the profile's surviving name and its best alternative, the
// birthdays its surviving birthday and the best alternative; a profile has
// at most [maxBlocksPerProfile] blocks. Entries are written in the
// transaction that writes the profile (flushProfile): added, moved when the
// profile's names or birthdays change, and deleted when it is merged away
// or erased.
//
// What the index reveals to whoever reads the raw keys without the
// keyring (Badger's encryption at rest, on by default, hides the keys
// too): which profiles share a block, and so how large blocks are. It
// reveals no name or birthday, as the identifier index reveals no phone;
// but block sizes follow the frequencies of names, so the largest name
// blocks are probably the commonest names, as in any index of equal values.

// nsBlock is the namespace of the blocking index.
const nsBlock byte = 'B'

// tagBlock is the blind-index kind of blocking values.
const tagBlock = "block"

// metaBlocks is the meta key whose presence says that the blocking index
// is complete: every profile's blocks are indexed. Databases made before
// the index existed lack it until [Store.Suggest] builds the index.
const metaBlocks = "blocks"

// blocksVersion is the value of metaBlocks for an index of this build's
// blocking values; an index of other values (version "1", before the
// name keys) is built again, once, by the next Suggest.
const blocksVersion = "2"

// maxBlocksPerProfile bounds the blocking entries of one profile.
const maxBlocksPerProfile = 8

// blockKeySize is the size of a B key: namespace, tag, profile id.
const blockKeySize = 1 + crypto.BlindIndexSize + ProfileIDSize

// blockSource is what a profile's blocks derive from: its two best names
// and birthdays, as merge states them. It is comparable, so that a flush
// recomputes tags only when it changed.
type blockSource struct {
	names  [2]string
	births [2]string // YYYY-MM-DD
}

// blockSourceOf returns the block source of p; the zero source for nil.
func blockSourceOf(p *merge.Profile) blockSource {
	var s blockSource
	if p == nil {
		return s
	}
	for i := range p.Fields {
		f := &p.Fields[i]
		var dst *[2]string
		switch f.Name {
		case merge.FieldPersonName:
			dst = &s.names
		case merge.FieldBirthday:
			dst = &s.births
		default:
			continue
		}
		dst[0] = f.Value
		if len(f.Alternatives) > 0 {
			dst[1] = f.Alternatives[0].Value
		}
	}
	return s
}

// values returns the blocking values of s, without duplicates, full names
// first, at most maxBlocksPerProfile.
func (s blockSource) values() []string {
	var out []string
	add := func(v string) {
		if len(out) < maxBlocksPerProfile && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	var words [2][]string
	for i, n := range s.names {
		words[i] = nameWords(n)
		if len(words[i]) > 0 {
			add("n\x00" + strings.Join(sortedWords(words[i]), " "))
		}
	}
	for _, n := range s.names {
		// The name's canonical key, a name block too: 王芳, 王 芳, 汪芳 and
		// Wang Fang share "fang wang", 陳芳 and 陈芳 "chen fang". For most
		// Latin names it is the block of their words already.
		if k := match.NameKey(n); k != "" {
			add("n\x00" + k)
		}
	}
	for _, b := range s.births {
		if b == "" {
			continue
		}
		for _, ws := range words {
			for _, w := range ws {
				if len(ws) > 1 && utf8.RuneCountInString(w) < 2 {
					continue // an initial
				}
				add("b\x00" + b + "\x00" + w)
			}
		}
	}
	return out
}

// nameWords returns the words of a name, case-folded: the runs of letters,
// marks and digits between anything else (spaces, dots, hyphens, the
// middle dot of "买买提·艾力"). A Chinese name written without spaces is one
// word.
func nameWords(name string) []string {
	return strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsMark(r) && !unicode.IsDigit(r)
	})
}

func sortedWords(ws []string) []string {
	s := slices.Clone(ws)
	slices.Sort(s)
	return s
}

// blockTag returns the blind-index tag of a blocking value.
func blockTag(kr *crypto.Keyring, v string) []byte {
	tag, _ := kr.BlindIndex(tagBlock, []byte(v)) // the kind is valid
	return tag
}

// blockTags returns the tags of the blocks of s.
func blockTags(kr *crypto.Keyring, s blockSource) [][]byte {
	vs := s.values()
	tags := make([][]byte, len(vs))
	for i, v := range vs {
		tags[i] = blockTag(kr, v)
	}
	return tags
}

func blockKey(tag []byte, id ProfileID) []byte { return key(nsBlock, tag, id[:]) }

// splitBlockKey returns the tag and profile id of a B key.
func splitBlockKey(k []byte) ([]byte, ProfileID, error) {
	if len(k) != blockKeySize || k[0] != nsBlock {
		return nil, ProfileID{}, fmt.Errorf("store: blocking entry with a key of %d bytes", len(k))
	}
	id, _ := profileIDFrom(k[1+crypto.BlindIndexSize:])
	return k[1 : 1+crypto.BlindIndexSize], id, nil
}

// flushBlocks moves the profile's blocking entries from the blocks it had
// as stored to the blocks it has now: none once merged away or erased. It
// computes tags only when the names or birthdays changed.
func (t *txn) flushBlocks(lp *liveProfile) error {
	now := blockSourceOf(lp.p)
	if lp.stored && now == lp.origBlocks {
		return nil
	}
	var old []string
	if lp.stored {
		old = lp.origBlocks.values()
	}
	cur := now.values()
	for _, v := range old {
		if !slices.Contains(cur, v) {
			if err := t.tx.Delete(blockKey(blockTag(t.kr, v), lp.id)); err != nil {
				return err
			}
		}
	}
	for _, v := range cur {
		if !slices.Contains(old, v) {
			if err := t.tx.Set(blockKey(blockTag(t.kr, v), lp.id), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// blocksBuilt reports whether the blocking index is complete.
func (t *txn) blocksBuilt() (bool, error) {
	v, err := t.tx.Get(metaKey(metaBlocks))
	if errors.Is(err, ErrKeyNotFound) {
		return false, nil
	}
	return err == nil && string(v) == blocksVersion, err
}

// buildBlocks serialises builds of the blocking index in this process.
var buildBlocks sync.Mutex

// ensureBlocks builds the blocking index of a database made before it
// existed (or restored from such a backup): it deletes whatever entries
// are there, indexes every profile, page by page while ingest goes on
// (ingest maintains the entries of the profiles it writes), and then marks
// the index complete.
func (s *Store) ensureBlocks(ctx context.Context) error {
	built := func() (ok bool, err error) {
		err = s.view(ctx, func(t *txn) error {
			ok, err = t.blocksBuilt()
			return err
		})
		return ok, err
	}
	if ok, err := built(); ok || err != nil {
		return err
	}
	buildBlocks.Lock()
	defer buildBlocks.Unlock()
	if ok, err := built(); ok || err != nil {
		return err
	}
	s.log.Info("store: building the blocking index of duplicate suggestions")
	for {
		var n int
		err := s.update(ctx, func(t *txn) error {
			var keys [][]byte
			for e, err := range t.tx.Scan([]byte{nsBlock}, nil, true) {
				if err != nil {
					return err
				}
				if len(keys) == pageSize {
					break
				}
				keys = append(keys, bytes.Clone(e.Key))
			}
			n = len(keys)
			for _, k := range keys {
				if err := t.tx.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	start := []byte{nsProfile}
	for start != nil {
		var next []byte
		err := s.update(ctx, func(t *txn) error {
			next = nil
			var ids []ProfileID
			for e, err := range t.tx.Scan([]byte{nsProfile}, start, true) {
				if err != nil {
					return err
				}
				if len(ids) == pageSize {
					next = bytes.Clone(e.Key)
					break
				}
				id, err := profileIDFrom(e.Key[1:])
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			for _, id := range ids {
				lp, err := t.profile(id)
				if err != nil {
					return err
				}
				if lp == nil {
					continue
				}
				for _, tag := range blockTags(t.kr, blockSourceOf(lp.p)) {
					if err := t.tx.Set(blockKey(tag, id), nil); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		start = next
	}
	return s.put(ctx, metaKey(metaBlocks), []byte(blocksVersion))
}

// blockVerifier checks the blocking index for [Store.Verify]: that every
// block a profile's names and birthdays give has its entry, and that there
// are no other entries. Together the two checks prove that every entry
// points at a live profile whose names and birthdays give its block,
// without holding the expected entries in memory. A nil blockVerifier (the
// index is not built) checks nothing.
type blockVerifier struct {
	t     *txn
	found int // entries the profiles give and found (a stray entry cannot hide behind a missing one)
}

func (t *txn) newBlockVerifier() (*blockVerifier, error) {
	ok, err := t.blocksBuilt()
	if !ok || err != nil {
		return nil, err
	}
	return &blockVerifier{t: t}, nil
}

// profile checks the entries of one profile.
func (v *blockVerifier) profile(r *Report, id ProfileID, p *merge.Profile) error {
	if v == nil {
		return nil
	}
	for _, tag := range blockTags(v.t.kr, blockSourceOf(p)) {
		_, err := v.t.tx.Get(blockKey(tag, id))
		if errors.Is(err, ErrKeyNotFound) {
			r.problem("P %v: blocking entry %x missing", id, tag)
			continue
		}
		if err != nil {
			return err
		}
		v.found++
	}
	return nil
}

// finish checks that every entry names a live profile and that there are
// as many entries as the profiles give.
func (v *blockVerifier) finish(r *Report) error {
	if v == nil {
		return nil
	}
	n := 0
	for e, err := range v.t.tx.Scan([]byte{nsBlock}, nil, true) {
		if err != nil {
			return err
		}
		n++
		tag, id, err := splitBlockKey(e.Key)
		if err != nil {
			r.problem("B %x: %v", e.Key[1:], err)
			continue
		}
		_, err = v.t.tx.Get(profileKey(id))
		if errors.Is(err, ErrKeyNotFound) {
			r.problem("B %x: points at missing profile %v", tag, id)
			continue
		}
		if err != nil {
			return err
		}
	}
	if n != v.found {
		r.problem("counts: %d blocking entries, %d of them given by their profile", n, v.found)
	}
	return nil
}
