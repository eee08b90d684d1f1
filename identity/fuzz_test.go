package identity_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
)

func FuzzWeChat(f *testing.F) {
	fuzzDecode(f, identity.FormatWeChat, `{"openid":"o1","phone_info":{"purePhoneNumber":"13912345678","countryCode":"86"}}`)
}

func FuzzWeibo(f *testing.F) {
	fuzzDecode(f, identity.FormatWeibo, `{"idstr":"1","mobile":"139 1234 5678","interactions":[{"type":"like","mid":"2"}]}`)
}

func FuzzEcommerce(f *testing.F) {
	fuzzDecode(f, identity.FormatEcommerce, `{"tid":1,"buyer_open_uid":"u","payment":"0.1","status":"TRADE_CLOSED"}`)
}

func FuzzPOS(f *testing.F) {
	fuzzDecode(f, identity.FormatPOS, posHeader+"S1,R1,M1,13800000000,王芳,-1.00,,2026-01-01,,refunded,\n")
}

func FuzzCSV(f *testing.F) {
	fuzzDecode(f, identity.FormatCSV, "phone,name,amount,nps\n１３９１２３４５６７８,王 芳,1,10\n")
}

// fuzzDecode seeds a fuzz target with every fixture of format f and extra,
// then checks the properties Decode promises on any input: no panic; every
// quarantine entry is a *RecordError with a source, a line and a reason;
// the only other error is a header error, yielded alone; accepted records
// have an id and an identifier; the count of yields matches an independent
// count of the records in the input; and the same input decodes the same
// way twice, the second time on three workers.
func fuzzDecode(f *testing.F, format identity.Format, extra string) {
	for _, fx := range fixtures(f) {
		if fx.format == format && fx.opts.Mapping == nil {
			for _, seed := range splitFixture(fx.read(f), format) {
				f.Add(seed)
			}
		}
	}
	f.Add([]byte(extra))
	f.Fuzz(func(t *testing.T, data []byte) {
		first := decodeBytes(t, format, data)
		read := 0
		lastLine := 0
		for i, r := range first {
			if r.err != nil {
				var re *identity.RecordError
				if !errors.As(r.err, &re) {
					if len(first) != 1 || format != identity.FormatPOS && format != identity.FormatCSV {
						t.Fatalf("yield %d: %v is not a *RecordError", i, r.err)
					}
					return // a header that does not fit ends the input at once
				}
				if re.Reason == "" || re.Source != string(format) || re.Line <= 0 {
					t.Fatalf("quarantine entry %#v lacks a reason, source or line", re)
				}
				if re.Line < lastLine {
					t.Fatalf("line %d after line %d", re.Line, lastLine)
				}
				lastLine = re.Line
				read++
				continue
			}
			checkRecord(t, format, r.rec)
			if r.rec.Line < lastLine {
				t.Fatalf("line %d after line %d", r.rec.Line, lastLine)
			}
			lastLine = r.rec.Line
			read++
		}
		if want, ok := countRecords(format, data); ok && read != want {
			t.Fatalf("read %d records (accepted + quarantined), the input holds %d", read, want)
		}
		second := decodeBytesWith(t, format, data, identity.Options{Workers: 3})
		if diff := cmp.Diff(outcomes(first), outcomes(second)); diff != "" {
			t.Fatalf("decoding again on 3 workers differs (-one +three):\n%s", diff)
		}
	})
}

// splitFixture cuts a fixture into small seeds, one record each (with the
// header for CSV), so that the fuzzer mutates and minimises records rather
// than whole files. A JSON array also gives one seed with its first two
// elements, to keep the array path seeded.
func splitFixture(data []byte, f identity.Format) [][]byte {
	var seeds [][]byte
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	lines := bytes.Split(data, []byte("\n"))
	switch {
	case f == identity.FormatPOS || f == identity.FormatCSV:
		for _, row := range lines[1:] {
			if len(bytes.TrimSpace(row)) > 0 {
				seeds = append(seeds, append(append(append([]byte(nil), lines[0]...), '\n'), row...))
			}
		}
	case bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")):
		var elems []json.RawMessage
		if json.Unmarshal(data, &elems) == nil {
			for _, e := range elems {
				seeds = append(seeds, e)
			}
			if len(elems) >= 2 {
				seeds = append(seeds, []byte("["+string(elems[0])+",\n"+string(elems[1])+"]"))
			}
		}
	default:
		for _, l := range lines {
			if len(bytes.TrimSpace(l)) > 0 {
				seeds = append(seeds, l)
			}
		}
	}
	return seeds
}

func decodeBytes(t *testing.T, f identity.Format, data []byte) []result {
	return decodeBytesWith(t, f, data, identity.Options{})
}

func decodeBytesWith(t *testing.T, f identity.Format, data []byte, opts identity.Options) []result {
	var out []result
	for rec, err := range identity.Decode(bytes.NewReader(data), f, opts) {
		out = append(out, result{rec, err})
	}
	return out
}

// checkRecord asserts what every accepted record holds.
func checkRecord(t *testing.T, f identity.Format, r identity.Record) {
	t.Helper()
	sourceOK := r.Source == string(f)
	if f == identity.FormatEcommerce { // the default source is the platform
		sourceOK = r.Source == identity.PlatformTaobao || r.Source == identity.PlatformJD
	}
	if r.ID == "" || r.Channel != identity.Channel(f) || !sourceOK || r.Line <= 0 {
		t.Fatalf("record %q: channel %q, source %q, line %d", r.ID, r.Channel, r.Source, r.Line)
	}
	// A record no identifier keys is anonymous, and says so; a keyed one
	// never carries that warning.
	if anonymous := slices.Contains(r.Warnings, identity.Warning{Reason: identity.ReasonNoIdentifier}); anonymous != (len(r.Identifiers) == 0) {
		t.Fatalf("record %q: %d identifiers, no_identifier warning %v", r.ID, len(r.Identifiers), anonymous)
	}
	for _, id := range r.Identifiers {
		if id.Value == "" || id.Kind.Scoped() != (id.Scope != "") {
			t.Fatalf("record %q: identifier %#v", r.ID, id)
		}
		if back, err := identity.ParseIdentifier(id.String()); err != nil || back != id {
			t.Fatalf("record %q: identifier %#v does not round-trip: %v, %v", r.ID, id, back, err)
		}
	}
	for _, o := range r.Orders {
		if o.AmountFen < 0 || o.ID == "" || o.Status == "" || o.Currency == "" {
			t.Fatalf("record %q: order %#v", r.ID, o)
		}
	}
	for _, w := range r.Warnings {
		if w.Field == "" && w.Reason != identity.ReasonNoIdentifier || w.Reason == "" {
			t.Fatalf("record %q: warning %#v", r.ID, w)
		}
	}
	for _, w := range r.Withheld {
		if w.Field == "" || w.Reason == "" || w.Value == "" {
			t.Fatalf("record %q: withheld %#v", r.ID, w)
		}
	}
	for _, s := range []string{r.ID, r.Attributes.Name, r.Attributes.Nickname, r.Attributes.City} {
		if !utf8.ValidString(s) {
			t.Fatalf("record %q holds invalid UTF-8", r.ID)
		}
	}
}

// outcomes renders results for comparison.
func outcomes(rs []result) []map[string]string {
	var out []map[string]string
	for _, r := range rs {
		m := summary(r)
		if r.err != nil {
			m["text"] = r.err.Error()
		}
		out = append(out, m)
	}
	return out
}

// countRecords counts the records in data without Decode: non-blank lines
// of JSON Lines, elements of a valid JSON array, rows after the header of a
// CSV file. ok is false when the count is not known independently (a
// broken JSON array, a CSV file with parse errors).
func countRecords(f identity.Format, data []byte) (int, bool) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	switch f {
	case identity.FormatPOS, identity.FormatCSV:
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		n := -1 // the header
		width := 0
		for {
			fields, err := r.Read()
			if err == io.EOF {
				return max(n, 0), true
			}
			if err != nil {
				return 0, false
			}
			if n == -1 {
				width = len(fields)
			}
			if len(fields) != width && slices.ContainsFunc(fields, func(f string) bool { return strings.Contains(f, "\n") }) {
				// Decode reads a record that spans lines into rows
				// of another width as a stray quote and resynchronises.
				return 0, false
			}
			n++
		}
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var elems []json.RawMessage
		if err := json.Unmarshal(data, &elems); err != nil {
			return 0, false
		}
		return len(elems), true
	}
	n := 0
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
	return n, true
}
