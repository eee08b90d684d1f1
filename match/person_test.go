package match

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
)

func date(y, m, d int) identity.Date {
	return identity.Date{Year: y, Month: time.Month(m), Day: d}
}

func TestBirthdays(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b identity.Date
		want Agreement
	}{
		{"unknown", identity.Date{}, date(1990, 3, 14), Unknown},
		{"equal", date(1990, 3, 14), date(1990, 3, 14), Exact},
		{"year only, same year", date(1990, 0, 0), date(1990, 3, 14), Compatible},
		{"year only, another year", date(1991, 0, 0), date(1990, 3, 14), Different},
		{"one digit of the day", date(1990, 3, 14), date(1990, 3, 15), Close},
		{"one digit of the year", date(1990, 3, 14), date(1980, 3, 14), Close},
		{"adjacent day digits swapped", date(1990, 3, 12), date(1990, 3, 21), Close},
		{"two digits apart", date(1990, 3, 14), date(1990, 3, 25), Different},
		{"adjacent year digits swapped", date(1990, 3, 14), date(1909, 3, 14), Close},
		{"day and month swapped", date(1990, 3, 4), date(1990, 4, 3), Close},
		{"day and month swapped, two digits each", date(1990, 11, 12), date(1990, 12, 11), Close},
		{"far apart", date(1990, 3, 14), date(1985, 7, 2), Different},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want.String(), Birthdays(tc.a, tc.b).String()); diff != "" {
				t.Errorf("Birthdays(%v, %v) (-want +got):\n%s", tc.a, tc.b, diff)
			}
			if diff := cmp.Diff(tc.want.String(), Birthdays(tc.b, tc.a).String()); diff != "" {
				t.Errorf("Birthdays(%v, %v) (-want +got):\n%s", tc.b, tc.a, diff)
			}
		})
	}
}

func TestGenders(t *testing.T) {
	for _, tc := range []struct {
		a, b identity.Gender
		want Agreement
	}{
		{identity.GenderUnknown, identity.GenderMale, Unknown},
		{identity.GenderFemale, identity.GenderUnknown, Unknown},
		{identity.GenderMale, identity.GenderMale, Exact},
		{identity.GenderMale, identity.GenderFemale, Different},
	} {
		if diff := cmp.Diff(tc.want.String(), Genders(tc.a, tc.b).String()); diff != "" {
			t.Errorf("Genders(%q, %q) (-want +got):\n%s", tc.a, tc.b, diff)
		}
	}
}

func TestPhones(t *testing.T) {
	for _, tc := range []struct {
		name, a, b string
		want       Agreement
		distance   int
	}{
		{"unknown", "", "+8613812345678", Unknown, -1},
		{"equal", "+8613812345678", "+8613812345678", Exact, 0},
		{"spaced", "+86 138 1234 5678", "+8613812345678", Same, 0},
		{"one digit", "+8613812345678", "+8613812345679", Close, 1},
		{"adjacent digits swapped", "+8613812345678", "+8613812345687", Close, 1},
		{"two digits", "+8613812345678", "+8613812345699", Different, 2},
		{"another length", "+8613812345678", "+861381234567", Different, -1},
		{"far", "+8613812345678", "+8615987654321", Different, 9}, // 45 and 54: a swap counts once
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want.String(), Phones(tc.a, tc.b).String()); diff != "" {
				t.Errorf("Phones (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want.String(), Phones(tc.b, tc.a).String()); diff != "" {
				t.Errorf("Phones swapped (-want +got):\n%s", diff)
			}
			if tc.a != "" {
				if diff := cmp.Diff(tc.distance, PhoneDistance(tc.a, tc.b)); diff != "" {
					t.Errorf("PhoneDistance (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestConsistent(t *testing.T) {
	f, m := identity.GenderFemale, identity.GenderMale
	for _, tc := range []struct {
		name string
		a, b Person
		want bool
	}{
		{"spellings of one person", Person{"王芳", f, date(1990, 3, 14)}, Person{"Wang Fang", f, date(1990, 3, 14)}, true},
		{"nothing known", Person{}, Person{"王芳", f, date(1990, 3, 14)}, true},
		{"an honorific of the stated gender", Person{Name: "王女士"}, Person{"王芳", f, identity.Date{}}, true},
		{"女士 against a stated male", Person{Name: "王女士"}, Person{"王建国", m, identity.Date{}}, false},
		{"先生 against a stated female", Person{"王先生", "", identity.Date{}}, Person{"王芳", f, identity.Date{}}, false},
		{"genders differ", Person{"王芳", f, identity.Date{}}, Person{"王芳", m, identity.Date{}}, false},
		{"birthdays differ", Person{"王芳", f, date(1990, 3, 14)}, Person{"王芳", f, date(1972, 8, 1)}, false},
		{"birthday a typo apart", Person{"王芳", f, date(1990, 3, 14)}, Person{"王芳", f, date(1990, 3, 15)}, true},
		{"names differ", Person{Name: "王芳"}, Person{Name: "李娜"}, false},
		{"a homophone typo", Person{"王芳", f, date(1990, 3, 14)}, Person{"王方", f, date(1990, 3, 14)}, true},
		{"a placeholder name", Person{"微信用户", m, identity.Date{}}, Person{"王建国", m, identity.Date{}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Consistent(tc.a, tc.b); got != tc.want {
				t.Errorf("Consistent(a, b) = %v, want %v", got, tc.want)
			}
			if got := Consistent(tc.b, tc.a); got != tc.want {
				t.Errorf("Consistent(b, a) = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAgreementText(t *testing.T) {
	for a := Unknown; a <= Exact; a++ {
		b, err := a.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got Agreement
		if err := got.UnmarshalText(b); err != nil {
			t.Fatal(err)
		}
		if got != a {
			t.Errorf("%v round-trips to %v", a, got)
		}
	}
	if _, err := ParseAgreement("maybe"); err == nil {
		t.Error("ParseAgreement(\"maybe\") gave no error")
	}
}
