package match

import (
	"github.com/scv-go/scv/identity"
	"strings"
)

// Genders compares two stated genders: [Unknown] when either is unknown,
// [Exact] when equal, [Different] otherwise.
func Genders(a, b identity.Gender) Agreement {
	switch {
	case a == identity.GenderUnknown || b == identity.GenderUnknown:
		return Unknown
	case a == b:
		return Exact
	}
	return Different
}

// Birthdays compares two birthdays: [Unknown] when either is the zero
// Date; [Exact] when equal; [Compatible] when one states a year alone
// (month and day zero) and the years are equal; [Close] when their
// YYYYMMDD digits differ in one digit or in two adjacent digits swapped,
// or the month and day are swapped; [Different] otherwise.
func Birthdays(a, b identity.Date) Agreement {
	switch {
	case a.IsZero() || b.IsZero():
		return Unknown
	case a == b:
		return Exact
	case yearOnly(a) || yearOnly(b):
		if a.Year == b.Year {
			return Compatible
		}
		return Different
	case a.Year == b.Year && int(a.Month) == b.Day && a.Day == int(b.Month):
		return Close
	}
	da, db := dateDigits(a), dateDigits(b)
	if digitsClose(da[:], db[:]) {
		return Close
	}
	return Different
}

func yearOnly(d identity.Date) bool { return d.Month == 0 && d.Day == 0 }

// dateDigits returns d as the eight digits YYYYMMDD.
func dateDigits(d identity.Date) [8]byte {
	var out [8]byte
	v := [3]int{d.Year, int(d.Month), d.Day}
	put := func(at, width, n int) {
		for i := at + width - 1; i >= at; i-- {
			out[i] = byte('0' + (n%10+10)%10)
			n /= 10
		}
	}
	put(0, 4, v[0])
	put(4, 2, v[1])
	put(6, 2, v[2])
	return out
}

// digitsClose reports whether two equally long digit strings differ in
// one place, or in two adjacent places swapped.
func digitsClose(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	first, d := -1, 0
	for i := range a {
		if a[i] != b[i] {
			if d++; d > 2 {
				return false
			}
			if first < 0 {
				first = i
			}
		}
	}
	switch d {
	case 1:
		return true
	case 2:
		i := first
		return i+1 < len(a) && a[i] != b[i] && a[i+1] != b[i+1] && a[i] == b[i+1] && a[i+1] == b[i]
	}
	return false
}

// Phones compares two phone numbers in E.164 form (+8613812345678):
// [Unknown] when either is empty; [Exact] when equal; [Same] when equal
// once spaces and dashes are dropped; [Close] when equally long and one
// digit differs, or two adjacent digits are swapped; [Different]
// otherwise.
func Phones(a, b string) Agreement {
	switch {
	case a == "" || b == "":
		return Unknown
	case a == b:
		return Exact
	}
	var bufA, bufB [24]byte
	da, db := phoneDigits(bufA[:0], a), phoneDigits(bufB[:0], b)
	switch {
	case len(da) == 0 || len(db) == 0:
		return Unknown
	case string(da) == string(db):
		return Same
	case digitsClose(da, db):
		return Close
	}
	return Different
}

// PhoneDistance returns how many digits two phone numbers in E.164 form
// differ in, counting two adjacent digits swapped as one; -1 when they
// are not equally long, and so not comparable digit by digit. It refines
// [Phones] for scoring (two digits apart is weaker evidence than one, and
// still more than none).
func PhoneDistance(a, b string) int {
	var bufA, bufB [24]byte
	da, db := phoneDigits(bufA[:0], a), phoneDigits(bufB[:0], b)
	if len(da) != len(db) || len(da) == 0 {
		return -1
	}
	d := 0
	for i := 0; i < len(da); i++ {
		if da[i] == db[i] {
			continue
		}
		if i+1 < len(da) && da[i] == db[i+1] && da[i+1] == db[i] && da[i] != da[i+1] {
			i++ // a swap counts once
		}
		d++
	}
	return d
}

// phoneDigits appends the digits of s to buf.
func phoneDigits(buf []byte, s string) []byte {
	for i := range len(s) {
		if c := s[i]; c >= '0' && c <= '9' {
			buf = append(buf, c)
		}
	}
	return buf
}

// Person is what [Consistent] compares: a name, a gender and a birthday,
// any of them unknown (empty or zero).
type Person struct {
	Name     string
	Gender   identity.Gender
	Birthday identity.Date
}

// Consistent reports whether a and b can be one person: no field is
// [Different], and neither name's honorific (女士 and 小姐 imply female,
// 先生 male) contradicts the other's stated gender. It is permissive by
// design: it says "could be one person", never "is"; two strangers with
// no names, or with the same common name, are consistent.
func Consistent(a, b Person) bool {
	na, nb := ParseName(a.Name), ParseName(b.Name)
	if na.Compare(nb) == Different || Birthdays(a.Birthday, b.Birthday) == Different {
		return false
	}
	ga, gb := a.Gender, b.Gender
	if ga == identity.GenderUnknown {
		ga = na.Gender()
	}
	if gb == identity.GenderUnknown {
		gb = nb.Gender()
	}
	return Genders(ga, gb) != Different && Genders(a.Gender, nb.Gender()) != Different &&
		Genders(na.Gender(), b.Gender) != Different
}

// organisationWords end or make up the names of receivers who are not a
// person: a company, a front desk, a parcel locker.
var organisationWords = []string{"公司", "集团", "前台", "收发室", "传达室", "门卫", "保安室", "工作室", "事务所", "办公室", "快递柜", "驿站", "代收点", "学校", "医院", "银行", "商店", "超市"}

// Organisation reports whether a receiver name names an organisation or a
// place rather than a person (明德咨询有限公司, 前台, 菜鸟驿站): its phone is
// nobody's own.
func Organisation(s string) bool {
	for _, w := range organisationWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
