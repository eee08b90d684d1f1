package identity_test

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
)

// csvRows writes a header and n rows of a generic CSV; bad, if set, rewrites
// row i (1-based) before it is written.
func csvRows(n int, bad func(i int, row string) string) string {
	var b strings.Builder
	b.WriteString("record_id,name,phone\n")
	for i := 1; i <= n; i++ {
		row := fmt.Sprintf("C%d,王芳,139%08d", i, i)
		if bad != nil {
			row = bad(i, row)
		}
		b.WriteString(row)
		b.WriteByte('\n')
	}
	return b.String()
}

// tally counts accepted records and quarantine reasons, and lists the lines
// quarantined.
func tally(rs []result) (read, accepted int, reasons map[identity.Reason][]int) {
	reasons = map[identity.Reason][]int{}
	for _, r := range rs {
		var re *identity.RecordError
		switch {
		case errors.As(r.err, &re):
			read++
			reasons[re.Reason] = append(reasons[re.Reason], re.Line)
		case r.err == nil:
			read++
			accepted++
		}
	}
	return read, accepted, reasons
}

// TestCSVStrayQuoteResynchronises checks that a field opening a stray quote
// takes at most its own record: the rows after it are read, whether or not
// a later quote closes the stray one.
func TestCSVStrayQuoteResynchronises(t *testing.T) {
	for _, tc := range []struct {
		name string
		bad  func(i int, row string) string
	}{
		{"a stray quote never closed", func(i int, row string) string {
			if i == 10 {
				return fmt.Sprintf("C%d,\"王芳,139%08d", i, i)
			}
			return row
		}},
		{"a stray quote closed by a quoted field 11 rows on", func(i int, row string) string {
			switch i {
			case 10:
				return fmt.Sprintf("C%d,\"王芳,139%08d", i, i)
			case 21:
				return fmt.Sprintf("C%d,\"王 芳\",139%08d", i, i)
			}
			return row
		}},
		{"two stray quotes", func(i int, row string) string {
			if i == 10 || i == 500 {
				return fmt.Sprintf("C%d,\"王芳,139%08d", i, i)
			}
			return row
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := csvRows(1000, tc.bad)
			read, accepted, reasons := tally(decodeAll(t, identity.FormatCSV, identity.Options{}, in))
			if read != 1000 {
				t.Errorf("read %d records of 1000", read)
			}
			bad := len(reasons[identity.ReasonMalformed])
			if accepted+bad != 1000 || bad > 2 {
				t.Errorf("accepted %d, malformed at lines %v; want only the broken rows quarantined", accepted, reasons[identity.ReasonMalformed])
			}
			if got := reasons[identity.ReasonMalformed]; len(got) == 0 || got[0] != 11 {
				t.Errorf("malformed lines %v, want the first at line 11 (row 10)", got)
			}
		})
	}
}

// TestJSONArrayGoesOn checks that one bad element of a JSON array does not
// end the read silently: an element that is too deep or has a syntax error
// inside its braces is quarantined and the next one is read; a break that
// cannot be skipped reports the rest of the input unread, with its offset.
func TestJSONArrayGoesOn(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 10_001) + "1" + strings.Repeat("}", 10_001)
	for _, tc := range []struct {
		name  string
		input string
		want  []string
	}{
		{"an element nested past the depth limit", `[{"openid":"a"},` + deep + `,{"openid":"c"}]`, []string{"1 a", "2 !malformed", "3 c"}},
		{"a syntax error inside an element", `[{"openid":"a"}, {"openid": x}, {"openid":"c"}]`, []string{"1 a", "2 !malformed", "3 c"}},
		{"a string with a brace inside", `[{"openid":"a}"}, {"openid":"b]"}]`, []string{"1 a}", "2 b]"}},
		{"a bracket that does not match", `[{"openid":"a"}, {"openid":"b"], {"openid":"c"}]`, []string{"1 a", "2 !malformed", "3 !unread"}},
		{"data after the array", `[{"openid":"a"}] {"openid":"b"}`, []string{"1 a", "2 !unread"}},
		{"garbage between elements", `[{"openid":"a"} x {"openid":"b"}]`, []string{"1 a", "2 !unread"}},
		{"a truncated array ends at its last element", `[{"openid":"a"}, {"openid":"b"`, []string{"1 a", "2 !malformed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := decodeAll(t, identity.FormatWeChat, identity.Options{}, tc.input)
			if diff := cmp.Diff(tc.want, lines(rs)); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
			for _, r := range rs {
				var re *identity.RecordError
				if errors.As(r.err, &re) && re.Reason == identity.ReasonUnread &&
					(re.Offset <= 0 || !strings.Contains(re.Error(), fmt.Sprintf("byte %d", re.Offset))) {
					t.Errorf("unread entry %q: offset %d not given", re.Error(), re.Offset)
				}
			}
		})
	}
}

// TestRecordTooLarge checks the size cap of every format: a record over
// identity.MaxRecordBytes is quarantined as too_large and the next one is
// read.
func TestRecordTooLarge(t *testing.T) {
	big := strings.Repeat("x", identity.MaxRecordBytes+1)
	for _, tc := range []struct {
		name   string
		format identity.Format
		input  string
		want   []string
	}{
		{"JSON Lines", identity.FormatWeChat, `{"openid":"` + big + `"}` + "\n" + `{"openid":"b"}`, []string{"1 !too_large", "2 b"}},
		{"JSON array", identity.FormatWeChat, `[{"openid":"` + big + `"},{"openid":"b"}]`, []string{"1 !too_large", "2 b"}},
		{"CSV", identity.FormatCSV, "record_id,name,phone\nC1," + big + ",13912345678\nC2,王芳,13912345679\n", []string{"2 !too_large", "3 C2"}},
		{"CSV quoted", identity.FormatCSV, "record_id,name,phone\nC1,\"" + big + "\",13912345678\nC2,王芳,13912345679\n", []string{"2 !too_large", "3 C2"}},
		{"POS", identity.FormatPOS, posHeader + "S1,R1,M1,13800000000," + big + ",1.00,,2026-01-01,,,\nS1,R2,M2,13912345678,王芳,1.00,,2026-01-01,,,\n", []string{"2 !too_large", "3 S1/R2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := decodeAll(t, tc.format, identity.Options{}, tc.input)
			if diff := cmp.Diff(tc.want, lines(rs)); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}

// repeatReader yields n bytes of c.
type repeatReader struct {
	c byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n)]
	for i := range p {
		p[i] = r.c
	}
	r.n -= int64(len(p))
	return len(p), nil
}

// TestHugeFieldMemory checks that a 96 MiB field is skipped, not read into
// memory: decoding it allocates a few MiB at most, in every format.
func TestHugeFieldMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 96 MiB per format")
	}
	const huge = 96 << 20
	for _, tc := range []struct {
		name         string
		format       identity.Format
		head, tail   string
		wantAccepted int
	}{
		{"CSV", identity.FormatCSV, "record_id,name,phone\nC1,", ",13912345678\nC2,王芳,13912345679\n", 1},
		{"CSV quoted", identity.FormatCSV, "record_id,name,phone\nC1,\"", "\",13912345678\nC2,王芳,13912345679\n", 1},
		{"JSON Lines", identity.FormatWeChat, `{"openid":"`, "\"}\n{\"openid\":\"b\"}\n", 1},
		{"JSON array", identity.FormatWeChat, `[{"openid":"`, `"},{"openid":"b"}]`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := io.MultiReader(strings.NewReader(tc.head), &repeatReader{c: 'x', n: huge}, strings.NewReader(tc.tail))
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var out []result
			for rec, err := range identity.Decode(r, tc.format, identity.Options{}) {
				out = append(out, result{rec, err})
			}
			runtime.ReadMemStats(&after)
			read, accepted, reasons := tally(out)
			if read != 2 || accepted != tc.wantAccepted || len(reasons[identity.ReasonTooLarge]) != 1 {
				t.Errorf("read %d, accepted %d, quarantined %v; want 2, %d, one too_large", read, accepted, reasons, tc.wantAccepted)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
				t.Errorf("decoding a %d MiB field allocated %d MiB", huge>>20, alloc>>20)
			}
		})
	}
}

// TestOrderIDs checks that Taobao tids and JD order ids are positive whole
// numbers; anything else quarantines the order with invalid_id.
func TestOrderIDs(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		want        string // id, or "!field: reason"
	}{
		{"tid number", `{"tid":2024001,"buyer_open_uid":"u","payment":"1","status":"TRADE_FINISHED"}`, "2024001"},
		{"tid string", `{"tid":"2024001","buyer_open_uid":"u","payment":"1","status":"TRADE_FINISHED"}`, "2024001"},
		{"tid 1e30", `{"tid":1e30,"buyer_open_uid":"u","payment":"1","status":"TRADE_FINISHED"}`, "!tid: invalid_id"},
		{"tid -1", `{"tid":-1,"buyer_open_uid":"u","payment":"1","status":"TRADE_FINISHED"}`, "!tid: invalid_id"},
		{"tid 3.5", `{"tid":3.5,"buyer_open_uid":"u","payment":"1","status":"TRADE_FINISHED"}`, "!tid: invalid_id"},
		{"tid abc", `{"tid":"abc","buyer_open_uid":"u","payment":"1","status":"TRADE_FINISHED"}`, "!tid: invalid_id"},
		{"tid 0", `{"tid":0,"buyer_open_uid":"u","payment":"1","status":"TRADE_FINISHED"}`, "!tid: invalid_id"},
		{"tid past int64", `{"tid":"99999999999999999999","buyer_open_uid":"u","payment":"1","status":"TRADE_FINISHED"}`, "!tid: invalid_id"},
		{"JD orderId", `{"orderId":"262145001601","orderTotalPrice":"1","orderState":"FINISHED_L","pin":"p"}`, "262145001601"},
		{"JD orderId -1", `{"orderId":-1,"orderTotalPrice":"1","orderState":"FINISHED_L","pin":"p"}`, "!orderId: invalid_id"},
		{"JD orderId abc", `{"orderId":"abc","orderTotalPrice":"1","orderState":"FINISHED_L","pin":"p"}`, "!orderId: invalid_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := decodeAll(t, identity.FormatEcommerce, identity.Options{}, tc.input)
			if len(rs) != 1 {
				t.Fatalf("%d results, want 1", len(rs))
			}
			got := rs[0].rec.ID
			var re *identity.RecordError
			if errors.As(rs[0].err, &re) {
				got = "!" + re.Field + ": " + string(re.Reason)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestFarFutureTime checks that a time more than a year ahead (a year-9999
// order) is dropped with a future_time warning, as an unparsable one is.
func TestFarFutureTime(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format identity.Format
		input  string
		want   string
	}{
		{"Taobao created", identity.FormatEcommerce, `{"tid":1,"buyer_open_uid":"u","payment":"1","status":"TRADE_FINISHED","created":"9999-01-01 10:00:00"}`, "created: future_time"},
		{"JD orderStartTime", identity.FormatEcommerce, `{"orderId":"1","orderTotalPrice":"1","orderState":"FINISHED_L","pin":"p","orderStartTime":"9999-12-31 23:59:59"}`, "orderStartTime: future_time"},
		{"CSV ordered_at", identity.FormatCSV, "record_id,phone,order_id,amount,ordered_at\nC1,13912345678,O1,1,9999-01-01\n", "ordered_at: future_time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := decodeAll(t, tc.format, identity.Options{}, tc.input)
			if len(rs) != 1 || rs[0].err != nil {
				t.Fatalf("got %v, want one accepted record", lines(rs))
			}
			rec := rs[0].rec
			if got := summary(rs[0])["warnings"]; got != tc.want {
				t.Errorf("warnings %q, want %q", got, tc.want)
			}
			for _, o := range rec.Orders {
				if o.Time.Year() > 9000 {
					t.Errorf("order %s kept its time %v", o.ID, o.Time)
				}
			}
			if rec.Observed.Year() > 9000 {
				t.Errorf("record observed at %v", rec.Observed)
			}
		})
	}
}
