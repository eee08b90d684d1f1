package merge

import (
	"slices"
)

// The index of each field in FieldNames, which is how candidates name
// their field.
const (
	idxPersonName = iota
	idxNickname
	idxGender
	idxBirthday
	idxCountry
	idxProvince
	idxCity
	idxDistrict
	idxLanguage
	idxEmail
	idxPhone
	numFields // len(FieldNames)
)

// candidate is one value of one field, with the best record stating it.
// Its rank is computed once, from the options, when the record's items are
// extracted; it is not stored in the profile but recomputed from the
// provenance when a stored field takes a new value.
type candidate struct {
	field       int // index in FieldNames
	value       string
	from        Provenance
	records     int
	placeholder bool
	priority    int
}

func (c *config) candidate(field int, v string, from Provenance) candidate {
	return c.rankedCandidate(field, v, from, c.rank(field, from.Record))
}

// rankedCandidate is candidate with the priority rank of its record's
// source already known.
func (c *config) rankedCandidate(field int, v string, from Provenance, rank int) candidate {
	return candidate{field: field, value: v, from: from, records: 1, placeholder: c.placeholder(v), priority: rank}
}

func compareCandidateKey(a, b candidate) int {
	if a.field != b.field {
		return a.field - b.field
	}
	return compareStr(a.value, b.value)
}

// compareRank orders the candidates of one field best first: a real value
// before a placeholder, then source priority, then the most recently
// observed record, then record key and value so the order is total.
func compareRank(a, b candidate) int {
	if a.placeholder != b.placeholder {
		if a.placeholder {
			return 1
		}
		return -1
	}
	if a.priority != b.priority {
		return a.priority - b.priority
	}
	if c := compareLater(a.from.Observed, b.from.Observed); c != 0 {
		return c
	}
	if c := compareKey(a.from.Record, b.from.Record); c != 0 {
		return c
	}
	return compareStr(a.value, b.value)
}

// mergeCandidate combines two sightings of one value: the better
// provenance, and the records of both.
func mergeCandidate(a, b candidate) candidate {
	best := a
	if compareRank(b, a) < 0 {
		best = b
	}
	best.records = a.records + b.records
	return best
}

// groupFields turns candidates sorted by field and value into fields: the
// best candidate of each field survives, the others are its alternatives.
// It reorders cands.
func groupFields(cands []candidate) []Field {
	if len(cands) == 0 {
		return nil
	}
	n := 1
	for i := 1; i < len(cands); i++ {
		if cands[i].field != cands[i-1].field {
			n++
		}
	}
	out := make([]Field, 0, n)
	for i := 0; i < len(cands); {
		j := i + 1
		for j < len(cands) && cands[j].field == cands[i].field {
			j++
		}
		out = append(out, fieldOf(cands[i:j], nil))
		i = j
	}
	return out
}

// fieldOf returns the field of a group of candidates, which it sorts best
// first. It returns alts as the alternatives when they are what the group
// gives, so that an unchanged list is shared rather than copied.
func fieldOf(group []candidate, alts []Alternative) Field {
	slices.SortFunc(group, compareRank)
	best := &group[0]
	f := Field{Name: FieldNames[best.field], Value: best.value, From: best.from, Records: best.records}
	rest := group[1:]
	same := len(alts) == len(rest)
	for i := 0; same && i < len(rest); i++ {
		same = alts[i] == Alternative{Value: rest[i].value, From: rest[i].from, Records: rest[i].records}
	}
	switch {
	case same:
		f.Alternatives = alts
	case len(rest) > 0:
		f.Alternatives = make([]Alternative, len(rest))
		for i, g := range rest {
			f.Alternatives[i] = Alternative{Value: g.value, From: g.from, Records: g.records}
		}
	}
	return f
}

// foldFields returns fields, sorted as groupFields sorts them, with the
// candidates of one more record: what grouping the candidates of every
// record gives. Fields the record does not state are shared with fields,
// which is not modified; cands is reordered.
func (c *config) foldFields(fields []Field, cands []candidate) []Field {
	if len(cands) == 0 {
		return fields
	}
	slices.SortFunc(cands, compareCandidateKey)
	n := len(fields)
	for j := range cands {
		if (j == 0 || cands[j].field != cands[j-1].field) &&
			!slices.ContainsFunc(fields, func(f Field) bool { return fieldIndex(f.Name) == cands[j].field }) {
			n++
		}
	}
	out := make([]Field, 0, n)
	var buf [8]candidate
	i := 0
	for j := 0; j < len(cands); {
		k := j + 1
		for k < len(cands) && cands[k].field == cands[j].field {
			k++
		}
		fi := cands[j].field
		for i < len(fields) && fieldIndex(fields[i].Name) < fi {
			out = append(out, fields[i])
			i++
		}
		// The stored values, with their ranks recomputed, and the new ones
		// merged in by value.
		group := buf[:0]
		var stored *Field
		if i < len(fields) && fieldIndex(fields[i].Name) == fi {
			stored = &fields[i]
			i++
			cd := c.candidate(fi, stored.Value, stored.From)
			cd.records = stored.Records
			group = append(group, cd)
			for _, a := range stored.Alternatives {
				cd := c.candidate(fi, a.Value, a.From)
				cd.records = a.Records
				group = append(group, cd)
			}
		}
		for _, cd := range cands[j:k] {
			if at := slices.IndexFunc(group, func(g candidate) bool { return g.value == cd.value }); at >= 0 {
				group[at] = mergeCandidate(group[at], cd)
			} else {
				group = append(group, cd)
			}
		}
		var alts []Alternative
		if stored != nil {
			alts = stored.Alternatives
		}
		out = append(out, fieldOf(group, alts))
		j = k
	}
	return append(out, fields[i:]...)
}
