package identity

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// phoneOutcome is what a parse gave, in a form cmp can show.
type phoneOutcome struct {
	E164, Ext, Region string
	Mobile            bool
	Reason            string // "" when accepted
}

func outcomeOf(ph Phone, err error) phoneOutcome {
	if err != nil {
		return phoneOutcome{Reason: string(PhoneReason(err))}
	}
	return phoneOutcome{E164: ph.String(), Ext: ph.Extension(), Region: ph.Region(), Mobile: ph.Mobile()}
}

type phoneCase struct {
	name   string
	raw    string
	region string // "" means CN
	want   phoneOutcome
	fast   bool // the fast path must decide it
}

// Shorthands for the expected outcomes.
func cnMobile(e164 string) phoneOutcome { return phoneOutcome{E164: e164, Region: "CN", Mobile: true} }
func cnFixed(e164, ext string) phoneOutcome {
	return phoneOutcome{E164: e164, Ext: ext, Region: "CN"}
}
func refused(r Reason) phoneOutcome { return phoneOutcome{Reason: string(r)} }

var phoneCases = []phoneCase{
	// Spellings of one mainland mobile.
	{name: "bare digits", raw: "13987654320", want: cnMobile("+8613987654320"), fast: true},
	{name: "E.164", raw: "+8613987654320", want: cnMobile("+8613987654320"), fast: true},
	{name: "spaces", raw: "139 8765 4320", want: cnMobile("+8613987654320"), fast: true},
	{name: "dashes", raw: "139-8765-4320", want: cnMobile("+8613987654320"), fast: true},
	{name: "dots", raw: "139.8765.4320", want: cnMobile("+8613987654320"), fast: true},
	{name: "slashes", raw: "139/8765/4320", want: cnMobile("+8613987654320"), fast: true},
	{name: "brackets", raw: "(139) 8765-4320", want: cnMobile("+8613987654320"), fast: true},
	{name: "surrounding white space", raw: " \t139 8765 4320\r\n", want: cnMobile("+8613987654320"), fast: true},
	{name: "en dash and em dash", raw: "139–8765—4320", want: cnMobile("+8613987654320"), fast: true},
	{name: "full-width digits", raw: "１３９８７６５４３２０", want: cnMobile("+8613987654320"), fast: true},
	{name: "full-width digits and ideographic spaces", raw: "１３９　８７６５　４３２０", want: cnMobile("+8613987654320"), fast: true},
	{name: "full-width dashes", raw: "１３９－８７６５－４３２０", want: cnMobile("+8613987654320"), fast: true},
	{name: "full-width plus and brackets", raw: "（＋８６）１３９８７６５４３２０", want: cnMobile("+8613987654320"), fast: true},
	{name: "mixed widths", raw: "＋86 139８７６５4320", want: cnMobile("+8613987654320"), fast: true},
	{name: "+86 with spaces", raw: "+86 139 8765 4320", want: cnMobile("+8613987654320"), fast: true},
	{name: "+86 with dash", raw: "+86-13987654320", want: cnMobile("+8613987654320"), fast: true},
	{name: "bracketed +86", raw: "(+86)13987654320", want: cnMobile("+8613987654320"), fast: true},
	{name: "+86 and trunk 0 in brackets", raw: "+86 (0)139 8765 4320", want: cnMobile("+8613987654320"), fast: true},
	{name: "0086", raw: "0086 139 8765 4320", want: cnMobile("+8613987654320"), fast: true},
	{name: "0086 with dashes", raw: "0086-139-8765-4320", want: cnMobile("+8613987654320"), fast: true},
	{name: "bare 86 before a mobile", raw: "8613987654320", want: cnMobile("+8613987654320"), fast: true},
	{name: "bare 86 and a space", raw: "86 139 8765 4320", want: cnMobile("+8613987654320"), fast: true},
	{name: "trunk 0 before a mobile", raw: "013987654320", want: cnMobile("+8613987654320"), fast: true},
	{name: "IP prefix 17951 (China Mobile)", raw: "17951 13987654320", want: cnMobile("+8613987654320"), fast: true},
	{name: "IP prefix 17951 run together", raw: "1795113987654320", want: cnMobile("+8613987654320"), fast: true},
	{name: "IP prefix 12593 (China Mobile)", raw: "12593-139-8765-4320", want: cnMobile("+8613987654320"), fast: true},
	{name: "IP prefix 17911 (China Unicom)", raw: "17911 13987654320", want: cnMobile("+8613987654320"), fast: true},
	{name: "IP prefix 10193 (China Unicom)", raw: "10193 13987654320", want: cnMobile("+8613987654320"), fast: true},
	{name: "IP prefix 17901 (China Telecom)", raw: "17901 13987654320", want: cnMobile("+8613987654320"), fast: true},
	{name: "IP prefix 11808 (China Netcom)", raw: "11808 13987654320", want: cnMobile("+8613987654320"), fast: true},
	{name: "IP prefix and trunk 0 before a mobile", raw: "17951 0139 8765 4320", want: cnMobile("+8613987654320"), fast: true},
	{name: "an empty region means CN", raw: "13987654320", region: "", want: cnMobile("+8613987654320"), fast: true},
	{name: "extension on a mobile", raw: "13987654320转8", want: phoneOutcome{E164: "+8613987654320", Ext: "8", Region: "CN", Mobile: true}, fast: true},
	{name: "full-width extension", raw: "１３９８７６５４３２０　ｅｘｔ．　１２", want: phoneOutcome{E164: "+8613987654320", Ext: "12", Region: "CN", Mobile: true}, fast: true},

	// Landlines.
	{name: "Beijing landline", raw: "010-12345678", want: cnFixed("+861012345678", "")},
	{name: "Shanghai landline, area code in brackets", raw: "(021) 1234 5678", want: cnFixed("+862112345678", "")},
	{name: "Shenzhen landline", raw: "0755-12345678", want: cnFixed("+8675512345678", "")},
	{name: "landline in international form", raw: "+86 755 1234 5678", want: cnFixed("+8675512345678", "")},
	{name: "landline after 0086 with its trunk 0", raw: "0086 0755 12345678", want: cnFixed("+8675512345678", "")},
	{name: "landline grouped 4-4 is not an extension", raw: "0755-1234-5678", want: cnFixed("+8675512345678", "")},
	{name: "IP prefix before a landline with trunk 0", raw: "17951 010 12345678", want: cnFixed("+861012345678", "")},
	{name: "IP prefix and landline run together", raw: "1795101012345678", want: cnFixed("+861012345678", "")},

	// Extensions.
	{name: "extension after 转", raw: "010-12345678转123", want: cnFixed("+861012345678", "123")},
	{name: "extension after 转 with spaces", raw: "010-12345678 转 123", want: cnFixed("+861012345678", "123")},
	{name: "extension after 分机", raw: "010-12345678 分机 801", want: cnFixed("+861012345678", "801")},
	{name: "extension after ext", raw: "010-12345678ext123", want: cnFixed("+861012345678", "123")},
	{name: "extension after Ext.", raw: "010-12345678 Ext. 123", want: cnFixed("+861012345678", "123")},
	{name: "extension after x", raw: "010-12345678 x123", want: cnFixed("+861012345678", "123")},
	{name: "extension after #", raw: "010-12345678#123", want: cnFixed("+861012345678", "123")},
	{name: "final -123 after a complete landline", raw: "010-12345678-123", want: cnFixed("+861012345678", "123")},
	{name: "final -123 after an international landline", raw: "+86-10-12345678-123", want: cnFixed("+861012345678", "123")},
	{name: "final -1234567 is too long for an extension", raw: "010-12345678-1234567", want: refused(ReasonInvalidPhone)},
	{name: "final -123 after a mobile is not an extension", raw: "13987654320-123", want: refused(ReasonInvalidPhone)},
	{name: "marker without digits", raw: "010-12345678 ext", want: refused(ReasonInvalidPhone)},
	{name: "extension with letters", raw: "010-12345678 ext 12a", want: refused(ReasonInvalidPhone)},
	{name: "extension of eleven digits", raw: "010-12345678#12345678901", want: refused(ReasonInvalidPhone)},

	// Masked numbers.
	{name: "asterisks", raw: "138****5678", want: refused(ReasonMaskedPhone), fast: true},
	{name: "lower-case x run", raw: "138xxxx5678", want: refused(ReasonMaskedPhone), fast: true},
	{name: "upper-case X run", raw: "138XXXX5678", want: refused(ReasonMaskedPhone), fast: true},
	{name: "full-width asterisks", raw: "138＊＊＊＊5678", want: refused(ReasonMaskedPhone), fast: true},
	{name: "multiplication signs", raw: "138××××5678", want: refused(ReasonMaskedPhone), fast: true},
	{name: "black circles", raw: "138●●●●5678", want: refused(ReasonMaskedPhone), fast: true},
	{name: "masked with +86 and spaces", raw: "+86 138 **** 5678", want: refused(ReasonMaskedPhone), fast: true},
	{name: "a single asterisk", raw: "1381234*678", want: refused(ReasonMaskedPhone), fast: true},
	{name: "masked head", raw: "*******5678", want: refused(ReasonMaskedPhone), fast: true},
	{name: "masked with an extension", raw: "138****5678转12", want: refused(ReasonMaskedPhone), fast: true},

	// Service and shared-cost numbers.
	{name: "400 number", raw: "400-123-4567", want: refused(ReasonServicePhone)},
	{name: "400 number with +86", raw: "+86 400 123 4567", want: refused(ReasonServicePhone)},
	{name: "800 number", raw: "800-820-8820", want: refused(ReasonServicePhone)},
	{name: "95xxx bank hotline", raw: "95588", want: refused(ReasonServicePhone)},
	{name: "96xxx local service line", raw: "96110", want: refused(ReasonServicePhone)},
	{name: "10086", raw: "10086", want: refused(ReasonServicePhone)},
	{name: "10010", raw: "10010", want: refused(ReasonServicePhone)},
	{name: "12315", raw: "12315", want: refused(ReasonServicePhone)},
	{name: "12345", raw: "12345", want: refused(ReasonServicePhone)},
	{name: "950 shared-cost number", raw: "950 1234 5678", want: refused(ReasonServicePhone)},
	{name: "95xxx behind an area code", raw: "021-95588", want: refused(ReasonServicePhone)},
	{name: "10086 behind an area code", raw: "010-10086", want: refused(ReasonServicePhone)},

	// Placeholders.
	{name: "all zeros", raw: "13800000000", want: refused(ReasonPlaceholderPhone), fast: true},
	{name: "China Mobile's service number", raw: "138 0013 8000", want: refused(ReasonPlaceholderPhone), fast: true},
	{name: "counting sequence", raw: "+86 138 1234 5678", want: refused(ReasonPlaceholderPhone), fast: true},
	{name: "subscriber all nines", raw: "139 9999 9999", want: refused(ReasonPlaceholderPhone), fast: true},
	{name: "subscriber all zeros", raw: "186-0000-0000", want: refused(ReasonPlaceholderPhone), fast: true},
	{name: "placeholder full-width", raw: "１３８００１３８０００", want: refused(ReasonPlaceholderPhone), fast: true},

	// Invalid.
	{name: "empty", raw: "", want: refused(ReasonInvalidPhone), fast: true},
	{name: "white space only", raw: " \u3000 ", want: refused(ReasonInvalidPhone), fast: true},
	{name: "ten digits", raw: "1398765432", want: refused(ReasonInvalidPhone)},
	{name: "twelve digits", raw: "139876543201", want: refused(ReasonInvalidPhone)},
	{name: "eleven digits that are no mobile", raw: "12987654320", want: refused(ReasonInvalidPhone)},
	{name: "unassigned mobile block 140", raw: "14087654320", want: refused(ReasonInvalidPhone)},
	{name: "letters", raw: "tel:13987654320", want: refused(ReasonInvalidPhone)},
	{name: "two numbers in one field", raw: "13987654320/13987654321", want: refused(ReasonInvalidPhone)},
	{name: "two numbers separated by a comma", raw: "13987654320,13987654321", want: refused(ReasonInvalidPhone)},
	{name: "line break inside", raw: "139 8765\n4320", want: refused(ReasonInvalidPhone)},
	{name: "plus sign alone", raw: "+", want: refused(ReasonInvalidPhone), fast: true},
	{name: "plus sign after digits", raw: "86+13987654320", want: refused(ReasonInvalidPhone), fast: true},
	{name: "two plus signs", raw: "++8613987654320", want: refused(ReasonInvalidPhone), fast: true},
	{name: "too long", raw: strings.Repeat("1", maxPhoneInput+1), want: refused(ReasonInvalidPhone), fast: true},
	{name: "bare 86 before a landline", raw: "86 10 12345678", want: refused(ReasonInvalidPhone)},
	{name: "bare 86 before a trunk 0 and a landline", raw: "86 010 12345678", want: refused(ReasonInvalidPhone)},
	{name: "bare 86 before a service number", raw: "86 400 123 4567", want: refused(ReasonInvalidPhone)},
	{name: "carrier code not on the IP list", raw: "12345 13987654320", want: refused(ReasonInvalidPhone)},
	{name: "IP prefix with the default region AU", raw: "17951 13987654320", region: "AU", want: refused(ReasonInvalidPhone)},
	{name: "Arabic-Indic digits", raw: "١٣٩٨٧٦٥٤٣٢٠", want: refused(ReasonInvalidPhone)},

	// Other regions.
	{name: "Hong Kong from CN", raw: "+852 2123 4567", want: phoneOutcome{E164: "+85221234567", Region: "HK"}},
	{name: "Hong Kong after 00 from CN", raw: "00852 2123 4567", want: phoneOutcome{E164: "+85221234567", Region: "HK"}},
	{name: "US from CN", raw: "+1 650-253-0000", want: phoneOutcome{E164: "+16502530000", Region: "US"}},
	{name: "UK mobile", raw: "+44 7812 345678", want: phoneOutcome{E164: "+447812345678", Region: "GB", Mobile: true}},
	{name: "Australian landline with region AU", raw: "(02) 9876 5432", region: "AU", want: phoneOutcome{E164: "+61298765432", Region: "AU"}},
	{name: "Australian mobile with region AU", raw: "0412 345 678", region: "AU", want: phoneOutcome{E164: "+61412345678", Region: "AU", Mobile: true}},
	{name: "lower-case region", raw: "0412 345 678", region: "au", want: phoneOutcome{E164: "+61412345678", Region: "AU", Mobile: true}},
	{name: "a mainland number with region AU", raw: "+86 139 8765 4320", region: "AU", want: cnMobile("+8613987654320")},
}

func TestParsePhone(t *testing.T) {
	for _, tc := range phoneCases {
		t.Run(tc.name, func(t *testing.T) {
			got := outcomeOf(ParsePhone(tc.raw, tc.region))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParsePhone(%q, %q) mismatch (-want +got):\n%s", tc.raw, tc.region, diff)
			}
			region, _ := canonicalRegion(tc.region)
			rph, rerr := parseReference(tc.raw, region, defaultPlaceholdersOnly)
			if diff := cmp.Diff(tc.want, outcomeOf(rph, rerr)); diff != "" {
				t.Errorf("reference path mismatch (-want +got):\n%s", diff)
			}
			if region != "CN" {
				return
			}
			fph, ferr, ok := parseFast(tc.raw, defaultPlaceholdersOnly)
			if tc.fast && !ok {
				t.Errorf("the fast path handed %q to the reference", tc.raw)
			}
			if ok && (fph != rph || ferr != rerr) {
				t.Errorf("fast path gave %#v, %v; reference %#v, %v", fph, ferr, rph, rerr)
			}
		})
	}
}

// digitsRE finds any digit, ASCII or not.
var digitsRE = regexp.MustCompile(`\p{Nd}`)

func TestParsePhoneErrors(t *testing.T) {
	sentinels := map[Reason]error{
		ReasonInvalidPhone:     ErrInvalidPhone,
		ReasonMaskedPhone:      ErrMaskedPhone,
		ReasonServicePhone:     ErrServicePhone,
		ReasonPlaceholderPhone: ErrPlaceholderPhone,
	}
	for _, tc := range phoneCases {
		if tc.want.Reason == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			ph, err := ParsePhone(tc.raw, tc.region)
			if !ph.IsZero() {
				t.Errorf("ParsePhone(%q) returned %v with its error", tc.raw, ph)
			}
			if want := sentinels[Reason(tc.want.Reason)]; !errors.Is(err, want) {
				t.Errorf("ParsePhone(%q) = %v, want an error wrapping %v", tc.raw, err, want)
			}
			if d := digitsRE.FindString(err.Error()); d != "" {
				t.Errorf("error text %q contains a digit", err)
			}
		})
	}
}

func TestParsePhoneRegions(t *testing.T) {
	for _, region := range []string{"ZZ", "XX", "china", "001"} {
		t.Run(region, func(t *testing.T) {
			if _, err := ParsePhone("13987654320", region); err == nil {
				t.Errorf("ParsePhone with region %q succeeded", region)
			}
			if _, err := NewPhoneParser(region, nil); err == nil {
				t.Errorf("NewPhoneParser with region %q succeeded", region)
			}
		})
	}
}

func TestPhoneRoundTrip(t *testing.T) {
	for _, tc := range phoneCases {
		if tc.want.Reason != "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			ph, err := ParsePhone(tc.raw, tc.region)
			if err != nil {
				t.Fatal(err)
			}
			// String parses back to the Phone without its extension, with
			// any default region.
			for _, region := range []string{"CN", "US", "AU"} {
				back, err := ParsePhone(ph.String(), region)
				want := ph
				want.ext = ""
				if err != nil || back != want {
					t.Errorf("ParsePhone(%q, %q) = %#v, %v; want %#v", ph.String(), region, back, err, want)
				}
			}
			// MarshalText and UnmarshalText keep the extension.
			text, err := ph.MarshalText()
			if err != nil {
				t.Fatal(err)
			}
			var back Phone
			if err := back.UnmarshalText(text); err != nil || back != ph {
				t.Errorf("UnmarshalText(%q) = %#v, %v; want %#v", text, back, err, ph)
			}
		})
	}
}

func TestPhoneText(t *testing.T) {
	tests := []struct {
		name, text string
		want       phoneOutcome
		wantErr    bool
	}{
		{name: "mobile", text: "+8613987654320", want: cnMobile("+8613987654320")},
		{name: "extension", text: "+861012345678;ext=123", want: cnFixed("+861012345678", "123")},
		{name: "empty is the zero Phone", text: ""},
		{name: "a placeholder stays readable", text: "+8613800000000", want: cnMobile("+8613800000000")},
		{name: "national form", text: "13987654320", wantErr: true},
		{name: "not canonical", text: "+86 139 8765 4320", wantErr: true},
		{name: "empty extension", text: "+861012345678;ext=", wantErr: true},
		{name: "extension with letters", text: "+861012345678;ext=1a", wantErr: true},
		{name: "invalid number", text: "+8614087654320", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ph Phone
			err := ph.UnmarshalText([]byte(tc.text))
			if (err != nil) != tc.wantErr {
				t.Fatalf("UnmarshalText(%q) error = %v, want error %v", tc.text, err, tc.wantErr)
			}
			if err != nil {
				if digitsRE.MatchString(err.Error()) {
					t.Errorf("error text %q contains a digit", err)
				}
				return
			}
			if diff := cmp.Diff(tc.want, outcomeOf(ph, nil)); diff != "" {
				t.Errorf("UnmarshalText(%q) mismatch (-want +got):\n%s", tc.text, diff)
			}
		})
	}
	if text, err := (Phone{}).MarshalText(); err != nil || len(text) != 0 {
		t.Errorf("zero Phone marshals to %q, %v; want empty", text, err)
	}
}

func TestPhoneParser(t *testing.T) {
	p, err := NewPhoneParser("", []string{
		"０７５５－８８８８ ６６６６",    // the store's own landline, written any way
		"+86 139 8765 4321", // a cashier's mobile
		"13800000000",       // already a default
		"010-88886666 转 12", // the extension is ignored
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Region() != "CN" {
		t.Errorf("Region() = %q, want CN", p.Region())
	}
	tests := []struct {
		name, raw string
		want      phoneOutcome
	}{
		{name: "listed landline", raw: "0755 8888 6666", want: refused(ReasonPlaceholderPhone)},
		{name: "listed landline with an extension", raw: "0755-88886666-8", want: refused(ReasonPlaceholderPhone)},
		{name: "listed mobile", raw: "13987654321", want: refused(ReasonPlaceholderPhone)},
		{name: "listed mobile through the fast path", raw: "+8613987654321", want: refused(ReasonPlaceholderPhone)},
		{name: "a landline listed with an extension", raw: "01088886666", want: refused(ReasonPlaceholderPhone)},
		{name: "default placeholders still apply", raw: "13800138000", want: refused(ReasonPlaceholderPhone)},
		{name: "other numbers pass", raw: "13987654320", want: cnMobile("+8613987654320")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, outcomeOf(p.Parse(tc.raw))); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tc.raw, diff)
			}
		})
	}
	// ParsePhone does not know the parser's list.
	if _, err := ParsePhone("13987654321", ""); err != nil {
		t.Errorf("ParsePhone refused a number only a parser lists: %v", err)
	}
}

func TestNewPhoneParserRefusesBadPlaceholders(t *testing.T) {
	for _, raw := range []string{"138****5678", "10086", "12", "abc"} {
		t.Run(raw, func(t *testing.T) {
			_, err := NewPhoneParser("CN", []string{"13987654321", raw})
			if err == nil {
				t.Fatalf("NewPhoneParser accepted placeholder %q", raw)
			}
			if !strings.Contains(err.Error(), "placeholder 1") || digitsRE.MatchString(strings.ReplaceAll(err.Error(), "placeholder 1", "")) {
				t.Errorf("error %q should name placeholder 1 and no digits of it", err)
			}
		})
	}
}

func TestPhoneParserConcurrent(t *testing.T) {
	p, err := NewPhoneParser("CN", []string{"13987654321"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				raw := fmt.Sprintf("139 %04d %04d", g+1, i)
				ph, err := p.Parse(raw)
				want := fmt.Sprintf("+86139%04d%04d", g+1, i)
				if err != nil || ph.String() != want {
					t.Errorf("Parse(%q) = %v, %v; want %s", raw, ph, err, want)
					return
				}
				// A landline takes the reference path, through phonenumbers.
				raw = fmt.Sprintf("010-6%03d%04d", g, i)
				if ph, err := p.Parse(raw); err != nil || ph.String() != fmt.Sprintf("+86106%03d%04d", g, i) {
					t.Errorf("Parse(%q) = %v, %v", raw, ph, err)
					return
				}
				if _, err := p.Parse("13987654321"); !errors.Is(err, ErrPlaceholderPhone) {
					t.Errorf("Parse(listed) = %v, want a placeholder error", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestDefaultPlaceholderPhones(t *testing.T) {
	list := DefaultPlaceholderPhones()
	for _, s := range list {
		if _, err := ParsePhone(s, ""); !errors.Is(err, ErrPlaceholderPhone) {
			t.Errorf("ParsePhone(%q) = %v, want a placeholder error", s, err)
		}
	}
	list[0] = "+8613987654320"
	if _, err := ParsePhone("+8613987654320", ""); err != nil {
		t.Errorf("changing the returned list changed the defaults: %v", err)
	}
}

func TestPhoneZero(t *testing.T) {
	var p Phone
	if !p.IsZero() || p.String() != "" || p.Extension() != "" || p.Region() != "" || p.Mobile() {
		t.Errorf("zero Phone = %#v", p)
	}
	ph, err := ParsePhone("13987654320", "")
	if err != nil || ph.IsZero() {
		t.Errorf("ParsePhone gave %#v, %v", ph, err)
	}
}
