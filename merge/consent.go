package merge

import (
	"slices"

	"github.com/scv-go/scv/identity"
)

// standingConsent returns, per purpose, the statement rec stands by: its
// most recent one, a no winning a tie. A statement without a time takes
// the record's observed time.
func standingConsent(rec *identity.Record, from Provenance) []ConsentState {
	var out []ConsentState
	for _, c := range rec.Consent {
		st := Statement{Time: orObserved(c.Time, rec), From: from}
		i := slices.IndexFunc(out, func(s ConsentState) bool { return s.Purpose == c.Purpose })
		if i < 0 {
			out = append(out, consentOf(c.Purpose, c.Granted, st))
			continue
		}
		cur := out[i]
		curTime := cur.statement().Time
		if cmp := compareLater(st.Time, curTime); cmp < 0 || cmp == 0 && cur.Granted && !c.Granted {
			out[i] = consentOf(c.Purpose, c.Granted, st)
		}
	}
	return out
}

func consentOf(p identity.Purpose, granted bool, st Statement) ConsentState {
	s := ConsentState{Purpose: p, Granted: granted}
	if granted {
		s.Yes, s.LastYes = 1, &st
	} else {
		s.No, s.LastNo = 1, &st
	}
	return s
}

func (s ConsentState) statement() Statement {
	if s.LastNo != nil {
		return *s.LastNo
	}
	return *s.LastYes
}

func compareConsentKey(a, b ConsentState) int {
	return compareStr(string(a.Purpose), string(b.Purpose))
}

// mergeConsent combines the standing statements of two sets of records: a
// standing no anywhere withholds consent.
func mergeConsent(a, b ConsentState) ConsentState {
	out := ConsentState{Purpose: a.Purpose, Yes: a.Yes + b.Yes, No: a.No + b.No}
	out.LastYes = laterStatement(a.LastYes, b.LastYes)
	out.LastNo = laterStatement(a.LastNo, b.LastNo)
	out.Granted = out.No == 0 && out.Yes > 0
	return out
}

// laterStatement returns the more recent of a and b (either may be nil),
// the smaller record key breaking a tie.
func laterStatement(a, b *Statement) *Statement {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	if c := compareLater(a.Time, b.Time); c < 0 || c == 0 && compareKey(a.From.Record, b.From.Record) <= 0 {
		return a
	}
	return b
}
