package identity

import (
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// This file holds the fast path for numbers written with a plus sign and
// a country code other than +86: it replays phonenumbers with automata
// compiled, on first use, from the metadata of the country code's
// regions. It decides valid numbers only (mobiles, fixed lines, service
// numbers) and hands invalid ones, whose short-number rules span regions,
// to the reference path.

// regionTables returns the fast path's tables for region, compiled once;
// nil when its metadata is missing or does not compile to automata.
func regionTables(region string) *fastTables {
	if v, ok := regionCache.Load(region); ok {
		return v.(*fastTables)
	}
	var t *fastTables
	if md := metadataByRegion()[region]; md != nil {
		t, _ = newFastTables(md)
	}
	v, _ := regionCache.LoadOrStore(region, t)
	return v.(*fastTables)
}

var regionCache sync.Map // region code -> *fastTables

// metadataByRegion indexes phonenumbers' metadata by region code, leaving
// out the non-geographical entities ("001").
var metadataByRegion = sync.OnceValue(func() map[string]*phonenumbers.PhoneMetadata {
	m := map[string]*phonenumbers.PhoneMetadata{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return m
	}
	for _, md := range coll.GetMetadata() {
		if id := md.GetId(); id != "001" {
			m[id] = md
		}
	}
	return m
})

// foreign replays phonenumbers and referenceCore on d, the digits after a
// plus sign, when they do not start with 86. canon, if not empty, is the
// input itself when it might already be the E.164 form.
func foreign(d []byte, canon string, extra map[string]struct{}) fastResult {
	// maybeExtractCountryCode: at least three digits after the plus
	// sign, then extractCountryCode.
	if len(d) <= phonenumbers.MIN_LENGTH_FOR_NSN || d[0] == '0' {
		return fastResult{}
	}
	var cc int
	var regions []string
	for i := 1; i <= 3 && i <= len(d); i++ {
		cc = cc*10 + int(d[i-1]-'0')
		if regions = phonenumbers.GetRegionCodesForCountryCode(cc); len(regions) > 0 {
			d = d[i:]
			break
		}
	}
	if len(regions) == 0 || cc == 86 {
		return fastResult{}
	}
	// parseHelper, with the metadata of the country code's main region.
	main := regionTables(regions[0])
	if main == nil || len(d) < phonenumbers.MIN_LENGTH_FOR_NSN {
		return fastResult{}
	}
	nat, carrier := d, false
	if pot, cc, ok := main.stripTrunk(nat); !ok {
		return fastResult{}
	} else if len(pot) != len(nat) {
		switch main.testLength(pot) {
		case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY, phonenumbers.INVALID_LENGTH:
		default:
			nat, carrier = pot, cc
		}
	}
	// Leading zeros are kept (see national).
	if len(nat) < phonenumbers.MIN_LENGTH_FOR_NSN || len(nat) > phonenumbers.MAX_LENGTH_FOR_NSN {
		return fastResult{}
	}
	if carrier {
		return fastResult{coreResult{err: errPhoneCarrier}, true}
	}
	// GetRegionCodeForNumber, then the number type with that region's
	// metadata.
	region, t := regions[0], main
	if len(regions) > 1 {
		region, t = "", nil
		for _, r := range regions {
			rt := regionTables(r)
			if rt == nil {
				return fastResult{}
			}
			if rt.leading != nil {
				if rt.leading.prefixes(nat) != 0 {
					region, t = r, rt
					break
				}
			} else if rt.numberType(nat) != phonenumbers.UNKNOWN {
				region, t = r, rt
				break
			}
		}
		if t == nil {
			return fastResult{}
		}
	}
	typ := t.numberType(nat)
	if typ == phonenumbers.UNKNOWN {
		return fastResult{} // invalid: the short-number rules decide
	}
	res := coreResult{landline: typ == phonenumbers.FIXED_LINE || typ == phonenumbers.FIXED_LINE_OR_MOBILE}
	line, ok := lineOf(typ)
	if !ok {
		res.err = errPhoneServiceType
		return fastResult{res, true}
	}
	var b [4 + maxPhoneInput]byte
	e := strconv.AppendInt(append(b[:0], '+'), int64(cc), 10)
	e = append(e, nat...)
	var e164 string
	if canon == string(e) {
		e164 = canon
	} else {
		e164 = string(e)
	}
	if isPlaceholder(e164, line, extra) {
		res.err = errPhonePlaceholder
		return fastResult{res, true}
	}
	res.phone = Phone{e164: e164, region: region, line: line}
	return fastResult{res, true}
}
