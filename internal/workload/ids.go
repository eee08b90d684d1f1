package workload

import (
	"sort"
	"strconv"
	"unicode/utf8"
)

// Identifiers and phone numbers. Every id embeds the person's index (or
// comes from a bijection of it), so ids never collide between people; the
// rest of an id is a hash of the seed and the index, so that ids look
// random and differ between seeds.

// mix is SplitMix64's finaliser: a fast, well-spread hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// hash returns a hash of the seed, a person and a salt naming the use.
func (g *Generator) hash(i int, salt uint64) uint64 {
	return mix(g.seed ^ mix(uint64(i)<<8|salt))
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// appendBase62 appends x in base 62 with exactly width digits (the high
// digits of a larger x are dropped).
func appendBase62(b []byte, x uint64, width int) []byte {
	n := len(b)
	for range width {
		b = append(b, 0)
	}
	for k := len(b) - 1; k >= n; k-- {
		b[k] = base62[x%62]
		x /= 62
	}
	return b
}

// token appends a random-looking id: prefix, 16 hash characters and the
// person's index in 5 base-62 digits (enough for 916 million people).
func (g *Generator) token(b []byte, prefix string, i int, salt uint64) []byte {
	b = append(b, prefix...)
	b = appendBase62(b, g.hash(i, salt), 11)
	b = appendBase62(b, g.hash(i, salt+1), 5)
	return appendBase62(b, uint64(i), 5)
}

// The salts of the ids.
const (
	saltOpenID = iota * 2
	saltMPOpenID
	saltUnionID
	saltBuyer
	saltPhone
	saltQQ
)

// The WeChat apps of the brand: its official account and its mini program.
const (
	appOA = "wx8a1b2c3d4e5f6071"
	appMP = "wx9f8e7d6c5b4a3921"
)

// weiboUID returns person i's Weibo uid: ten digits from a bijection of i.
func (g *Generator) weiboUID(i int) uint64 {
	const m = 1_000_000_000
	return 5_000_000_000 + (uint64(i)*7_654_321+g.seed%m)%m
}

// tid returns the Taobao trade id of person i's j-th order.
func tid(i, j int) uint64 { return 3_301_000_000_000_000 + uint64(i)*64 + uint64(j) }

// appendJDOrderID appends the JD order id of person i's j-th order.
func appendJDOrderID(b []byte, i, j int) []byte {
	b = append(b, "26"...)
	return appendPadded(b, uint64(i)*64+uint64(j), 10)
}

// appendPadded appends x in decimal, zero-padded to width digits.
func appendPadded(b []byte, x uint64, width int) []byte {
	var d [20]byte
	s := strconv.AppendUint(d[:0], x, 10)
	for k := len(s); k < width; k++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendStoreID appends the id of a person's store: the city's code and
// the store's number.
func appendStoreID(b []byte, p *person) []byte {
	b = append(b, regions[p.region].code...)
	return appendPadded(b, uint64(p.posStore), 2)
}

// appendReceiptNo appends the receipt number of person p's j-th receipt:
// store, date and a serial unique in the workload.
func appendReceiptNo(b []byte, p *person, j int) []byte {
	b = appendStoreID(b, p)
	b = append(b, '-')
	b = unixTime(p.receipts[j].at).AppendFormat(b, "060102")
	b = append(b, '-')
	return strconv.AppendUint(b, uint64(p.idx)*64+uint64(j), 36)
}

// appendMember appends person i's member card number.
func appendMember(b []byte, i int) []byte {
	b = append(b, 'M')
	return appendPadded(b, uint64(i)+1, 8)
}

// Phone numbers. A person's mobile is a prefix (130-199, weighted) and
// eight digits from a bijection of the person's index, so no two people
// share one; indexes whose eight digits would make a number the parser
// refuses (one digit eight times, as in 139 9999 9999, or the listed
// 138 0013 8000 and 138 1234 5678) or a hub number (ending in 1111) take
// the bijection's value at a larger index no person has.

const (
	phoneSpace  = 100_000_000
	phoneStride = 1 << 24 // more than the people of MaxRecords
)

// phoneOf returns person i's mobile as prefix and eight digits.
func (g *Generator) phoneOf(i int) (prefix uint16, suffix uint32) {
	h := g.hash(i, saltPhone)
	prefix = uint16(mobilePrefixes[pickBy(h)].prefix)
	for idx := uint64(i); ; idx += phoneStride {
		s := uint32((idx*48_271 + g.seed) % phoneSpace)
		if s%11_111_111 != 0 && s != 138_000 && s != 12_345_678 && s%10_000 != 1111 {
			return prefix, s
		}
	}
}

// pickBy picks a mobile prefix index from a hash.
func pickBy(h uint64) int {
	total := prefixPick.cum[len(prefixPick.cum)-1]
	return sort.SearchInts(prefixPick.cum, int(h%uint64(total))+1)
}

// appendPhone appends the 11 digits of a mobile number.
func appendPhone(b []byte, prefix uint16, suffix uint32) []byte {
	b = strconv.AppendUint(b, uint64(prefix), 10)
	return appendPadded(b, uint64(suffix), 8)
}

// e164 returns a mobile number in E.164 form.
func e164(prefix uint16, suffix uint32) string {
	return string(appendPhone([]byte("+86"), prefix, suffix))
}

// appendHub appends the k-th hub number: 139, k in four digits, 1111.
func appendHub(b []byte, k int) []byte {
	b = append(b, "139"...)
	b = appendPadded(b, uint64(k), 4)
	return append(b, "1111"...)
}

// The spellings of a phone number, as people and systems write them; the
// weights are in spellPick.
const (
	spellPlain     = iota // 13812345678
	spellPlus             // +8613812345678
	spellPlusSpace        // +86 138 1234 5678
	spellSpaced           // 138 1234 5678
	spell0086             // 0086 13812345678
	spellDashed           // 138-1234-5678
	spellFullWidth        // １３８１２３４５６７８
	spellBracket          // (+86)138-1234-5678
	spell86               // 8613812345678
)

// appendSpelled appends a mobile number in spelling s.
func appendSpelled(b []byte, s uint8, prefix uint16, suffix uint32) []byte {
	var d [11]byte
	digits := appendPhone(d[:0], prefix, suffix)
	group := func(b []byte, sep byte) []byte {
		b = append(b, digits[:3]...)
		b = append(b, sep)
		b = append(b, digits[3:7]...)
		b = append(b, sep)
		return append(b, digits[7:]...)
	}
	switch s {
	case spellPlus:
		return append(append(b, "+86"...), digits...)
	case spellPlusSpace:
		return group(append(b, "+86 "...), ' ')
	case spellSpaced:
		return group(b, ' ')
	case spell0086:
		return append(append(b, "0086 "...), digits...)
	case spellDashed:
		return group(b, '-')
	case spellFullWidth:
		for _, c := range digits {
			b = utf8.AppendRune(b, '０'+rune(c-'0'))
		}
		return b
	case spellBracket:
		return group(append(b, "(+86)"...), '-')
	case spell86:
		return append(append(b, "86"...), digits...)
	}
	return append(b, digits...)
}

// appendMasked appends a mobile number as platforms mask it: 138****5678.
func appendMasked(b []byte, prefix uint16, suffix uint32) []byte {
	var d [11]byte
	digits := appendPhone(d[:0], prefix, suffix)
	b = append(b, digits[:3]...)
	b = append(b, "****"...)
	return append(b, digits[7:]...)
}

// appendTyped appends what a cashier typed in a till's mobile column.
func (g *Generator) appendTyped(b []byte, t typed, hub int32, spell uint8, p *person) []byte {
	switch t {
	case typedEmpty:
		return b
	case typedPlaceholder:
		return append(b, "13800000000"...)
	case typedHub:
		return appendHub(b, int(hub))
	case typedTypo:
		var d [11]byte
		return append(b, appendPhone(d[:0], p.prefix, p.suffix)[:10]...)
	}
	return appendSpelled(b, spell, p.prefix, p.suffix)
}
