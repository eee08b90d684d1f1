package match

import (
	"testing"

	"github.com/scv-go/scv/identity"
)

var sinkAgreement Agreement

func BenchmarkNames(b *testing.B) {
	for _, bc := range []struct{ name, a, b string }{
		{"equal", "王芳", "王芳"},
		{"han", "王芳", "李建国"},
		{"han_homophone", "王芳", "王方"},
		{"traditional", "陳芳", "陈芳"},
		{"pinyin", "王芳", "Wang Fang"},
		{"latin_typo", "katherine smith", "catherine smith"},
		{"honorific", "王女士", "王芳"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkAgreement = Names(bc.a, bc.b)
			}
		})
	}
}

// BenchmarkNameCompare compares a parsed name with parsed names, as a
// caller comparing one name with many does.
func BenchmarkNameCompare(b *testing.B) {
	x, y := ParseName("王芳"), ParseName("李建国")
	b.ReportAllocs()
	for b.Loop() {
		sinkAgreement = x.Compare(y)
	}
}

func BenchmarkParseName(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = ParseName("王芳")
	}
}

var sinkString string

func BenchmarkNameKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkString = NameKey("王建国")
	}
}

func BenchmarkSurname(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkString = Surname("欧阳娜娜")
	}
}

func BenchmarkPlaceholder(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkAgreement = Agreement(boolInt(Placeholder("微信用户")))
	}
}

func boolInt(v bool) int8 {
	if v {
		return 1
	}
	return 0
}

// benchGenders are variables, so that the compiler cannot fold the
// comparison away.
var benchGenders = []identity.Gender{identity.GenderFemale, identity.GenderMale}

func BenchmarkGenders(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkAgreement = Genders(benchGenders[0], benchGenders[1])
	}
}

func BenchmarkBirthdays(b *testing.B) {
	x, y := identity.Date{Year: 1990, Month: 3, Day: 14}, identity.Date{Year: 1990, Month: 3, Day: 15}
	b.ReportAllocs()
	for b.Loop() {
		sinkAgreement = Birthdays(x, y)
	}
}

func BenchmarkPhones(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkAgreement = Phones("+8613812345678", "+8613812345687")
	}
}

func BenchmarkConsistent(b *testing.B) {
	x := Person{Name: "王芳", Gender: identity.GenderFemale, Birthday: identity.Date{Year: 1990, Month: 3, Day: 14}}
	y := Person{Name: "王女士", Birthday: identity.Date{Year: 1990, Month: 3, Day: 14}}
	b.ReportAllocs()
	for b.Loop() {
		_ = Consistent(x, y)
	}
}

var sinkInt int

func BenchmarkPhoneDistance(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkInt = PhoneDistance("+8613812345678", "+8613812345687")
	}
}
