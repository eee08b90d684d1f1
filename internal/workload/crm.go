package workload

import (
	"strconv"
	"strings"
)

// The CRM and survey CSVs, with columns named as identity's CSV fields.

var (
	genderStyles = [...][2]string{{"男", "女"}, {"男", "女"}, {"M", "F"}, {"male", "female"}, {"1", "2"}}
	boolStyles   = [...][2]string{{"no", "yes"}, {"否", "是"}, {"0", "1"}, {"false", "true"}}
)

// appendCRM appends p's CRM row: contact details, birthday, e-mail and the
// consent the customer stated.
func appendCRM(b []byte, g *Generator, p *person) []byte {
	var tmp [96]byte
	r := csvRow{b: b, tmp: tmp[:0]}
	rg := &regions[p.region]
	r.field(func(b []byte) []byte { return appendPadded(append(b, 'C'), uint64(p.idx)+1, 8) })
	r.field(func(b []byte) []byte { return appendSpelled(b, p.crmSpell, p.prefix, p.suffix) })
	r.field(func(b []byte) []byte { return appendName(b, p) })
	r.field(func(b []byte) []byte {
		if int(p.crmGender) >= len(genderStyles) {
			return b
		}
		if p.female {
			return append(b, genderStyles[p.crmGender][1]...)
		}
		return append(b, genderStyles[p.crmGender][0]...)
	})
	r.field(func(b []byte) []byte { return appendBirthday(b, p) })
	r.field(func(b []byte) []byte {
		if !p.crmEmail {
			return b
		}
		return appendEmail(b, g, p)
	})
	r.field(func(b []byte) []byte {
		if p.crmFullReg {
			return append(b, rg.full...)
		}
		return append(b, rg.province...)
	})
	r.field(func(b []byte) []byte {
		if p.crmFullReg {
			return appendCity(b, rg)
		}
		return append(b, rg.city...)
	})
	for _, c := range p.crmConsent {
		if c < 0 {
			r.str("")
		} else {
			r.str(boolStyles[p.crmBoolSty][c])
		}
	}
	r.field(func(b []byte) []byte { return unixTime(p.crmAt).AppendFormat(b, localLayout) })
	return r.b
}

// appendBirthday appends p's birthday in one of the ways Chinese forms
// write dates, or nothing.
func appendBirthday(b []byte, p *person) []byte {
	y, m, d := uint64(p.bYear), uint64(p.bMonth), uint64(p.bDay)
	switch p.crmBday {
	case 4:
		b = append(appendPadded(append(appendPadded(b, y, 4), '-'), m, 2), '-')
		return appendPadded(b, d, 2)
	case 5:
		b = append(strconv.AppendUint(append(strconv.AppendUint(b, y, 10), '/'), m, 10), '/')
		return strconv.AppendUint(b, d, 10)
	case 6:
		return appendPadded(appendPadded(appendPadded(b, y, 4), m, 2), d, 2)
	case 7:
		b = append(strconv.AppendUint(append(strconv.AppendUint(b, y, 10), "年"...), m, 10), "月"...)
		return append(strconv.AppendUint(b, d, 10), "日"...)
	case 8:
		b = append(appendPadded(append(appendPadded(b, y, 4), '.'), m, 2), '.')
		return appendPadded(b, d, 2)
	case 9:
		b = append(strconv.AppendUint(append(strconv.AppendUint(b, y, 10), '-'), m, 10), '-')
		return strconv.AppendUint(b, d, 10)
	}
	return b
}

// appendEmail appends p's e-mail address: a QQ number at qq.com, or a
// handle at another provider, sometimes capitalised (identity folds case).
func appendEmail(b []byte, g *Generator, p *person) []byte {
	domain := emailDomains[p.crmDomain]
	if domain == "qq.com" {
		const m = 900_000_000
		b = strconv.AppendUint(b, 100_000_000+(uint64(p.idx)*7_919+g.seed)%m, 10)
		return append(append(b, '@'), domain...)
	}
	start := len(b)
	b = appendEnglish(b, p, p.wcNickA)
	if p.crmBoolSty != 0 {
		for k := start; k < len(b); k++ {
			if 'A' <= b[k] && b[k] <= 'Z' {
				b[k] += 'a' - 'A'
			}
		}
	}
	b = strconv.AppendUint(b, uint64(p.idx), 10)
	b = append(b, '@')
	if p.crmBoolSty == 0 {
		return append(b, strings.ToUpper(domain)...)
	}
	return append(b, domain...)
}

// appendSurvey appends p's satisfaction survey row: NPS, CSAT, a comment
// and, for some, the phone of the friend who recommended the brand.
func appendSurvey(b []byte, g *Generator, p *person) []byte {
	var tmp [96]byte
	r := csvRow{b: b, tmp: tmp[:0]}
	r.field(func(b []byte) []byte { return appendPadded(append(b, "NPS-"...), uint64(p.idx)+1, 8) })
	r.field(func(b []byte) []byte { return unixTime(p.surveyAt).AppendFormat(b, localLayout) })
	r.field(func(b []byte) []byte { return appendSpelled(b, p.svSpell, p.prefix, p.suffix) })
	r.field(func(b []byte) []byte { return strconv.AppendInt(b, int64(p.nps), 10) })
	r.field(func(b []byte) []byte {
		if p.csat < 0 {
			return b
		}
		return strconv.AppendInt(b, int64(p.csat), 10)
	})
	r.field(func(b []byte) []byte {
		cat := 2
		switch {
		case p.nps <= 6:
			cat = 0
		case p.nps <= 8:
			cat = 1
		}
		texts := feedbackTexts[cat]
		return append(b, texts[int(p.fbText)%len(texts)]...)
	})
	r.field(func(b []byte) []byte {
		if p.svReferrer < 0 {
			return b
		}
		pre, suf := g.phoneOf(int(p.svReferrer))
		return appendSpelled(b, spellPlain, pre, suf)
	})
	return r.b
}
