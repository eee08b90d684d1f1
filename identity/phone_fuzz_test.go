package identity

import (
	"testing"
)

// FuzzParsePhone checks ParsePhone's properties on any input: it does not
// panic; the fast path agrees with the reference path whenever it
// decides; what it accepts parses back to itself; and no error text holds
// a digit, so none can leak part of the number.
func FuzzParsePhone(f *testing.F) {
	for _, tc := range phoneCases {
		f.Add(tc.raw)
	}
	for _, s := range []string{"ext.", "转", "x", "xx", "+86", "0086", "86", "17951", "1795101012345678",
		"86 0138 1234 5678", "+86 17951 13987654320", "00 86 139 8765 4320", "ＥＸＴ．", "分机", "分"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		ph, err := ParsePhone(raw, "CN")
		rph, rerr := parseReference(raw, "CN", defaultPlaceholdersOnly)
		if ph != rph || PhoneReason(err) != PhoneReason(rerr) || (err == nil) != (rerr == nil) {
			t.Fatalf("ParsePhone(%q) = %#v, %v; reference %#v, %v", raw, ph, err, rph, rerr)
		}
		if fph, ferr, ok := parseFast(raw, defaultPlaceholdersOnly); ok && (fph != rph || ferr != rerr) {
			t.Fatalf("fast path on %q = %#v, %v; reference %#v, %v", raw, fph, ferr, rph, rerr)
		}
		if err != nil {
			if !ph.IsZero() {
				t.Fatalf("ParsePhone(%q) returned %#v with error %v", raw, ph, err)
			}
			if d := digitsRE.FindString(err.Error()); d != "" {
				t.Fatalf("error text %q for %q contains a digit", err, raw)
			}
			return
		}
		back, err := ParsePhone(ph.String(), "CN")
		want := ph
		want.ext = ""
		if err != nil || back != want {
			t.Fatalf("ParsePhone(%q) = %#v, %v; want %#v (from %q)", ph.String(), back, err, want, raw)
		}
		text, _ := ph.MarshalText()
		var un Phone
		if err := un.UnmarshalText(text); err != nil || un != ph {
			t.Fatalf("UnmarshalText(%q) = %#v, %v; want %#v", text, un, err, ph)
		}
	})
}
