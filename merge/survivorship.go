package merge

import (
	"slices"
)

// candidate is one value of one field, with the best record stating it.
// Its rank is computed once, from the options, when the record's items are
// extracted; it is not stored in the profile but recomputed from the
// provenance when the profile is flattened again.
type candidate struct {
	field       FieldName
	value       string
	from        Provenance
	records     int
	placeholder bool
	priority    int
}

func (c *config) candidate(f FieldName, v string, from Provenance) candidate {
	return candidate{field: f, value: v, from: from, records: 1, placeholder: c.placeholder(v), priority: c.rank(f, from.Record)}
}

func compareCandidateKey(a, b candidate) int {
	if a.field != b.field {
		return fieldIndex(a.field) - fieldIndex(b.field)
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
func groupFields(cands []candidate) []Field {
	var out []Field
	for i := 0; i < len(cands); {
		j := i + 1
		for j < len(cands) && cands[j].field == cands[i].field {
			j++
		}
		group := slices.Clone(cands[i:j])
		slices.SortFunc(group, compareRank)
		f := Field{Name: group[0].field, Value: group[0].value, From: group[0].from, Records: group[0].records}
		for _, g := range group[1:] {
			f.Alternatives = append(f.Alternatives, Alternative{Value: g.value, From: g.from, Records: g.records})
		}
		out = append(out, f)
		i = j
	}
	return out
}

// flattenFields is the inverse of groupFields: candidates sorted by field
// and value, with their ranks recomputed from the options.
func (c *config) flattenFields(fields []Field) []candidate {
	var out []candidate
	for _, f := range fields {
		cd := c.candidate(f.Name, f.Value, f.From)
		cd.records = f.Records
		out = append(out, cd)
		for _, a := range f.Alternatives {
			cd := c.candidate(f.Name, a.Value, a.From)
			cd.records = a.Records
			out = append(out, cd)
		}
	}
	slices.SortFunc(out, compareCandidateKey)
	return out
}
