package identity_test

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv/identity"
)

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    identity.Format
		wantErr bool
	}{
		{"wechat", identity.FormatWeChat, false},
		{" Weibo ", identity.FormatWeibo, false},
		{"ECOMMERCE", identity.FormatEcommerce, false},
		{"pos", identity.FormatPOS, false},
		{"csv", identity.FormatCSV, false},
		{"taobao", "", true},
		{"", "", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := identity.ParseFormat(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("ParseFormat(%q) = %q, %v; want %q, error %t", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
	for _, f := range identity.Formats {
		if got, err := identity.ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v: a Format does not parse back", f, got, err)
		}
	}
}

func TestParseMapping(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{"pairs with spaces inside column names", "phone=mobile, name = full name", map[string]string{"phone": "mobile", "name": "full name"}, ""},
		{"Chinese headers", "phone=手机号码,nps=NPS评分", map[string]string{"phone": "手机号码", "nps": "NPS评分"}, ""},
		{"a trailing comma is allowed", "phone=mobile,", map[string]string{"phone": "mobile"}, ""},
		{"unknown field", "mobile=phone", nil, `pair 1: unknown field`},
		{"field mapped twice", "phone=a,phone=b", nil, "mapped twice"},
		{"pair without =", "phone", nil, "want field=column"},
		{"empty column", "phone=", nil, "want field=column"},
		{"empty mapping", " , ", nil, "empty mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := identity.ParseMapping(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseMapping(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseMapping(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// TestDecodeEnds checks the errors that end a Decode: bad options, headers
// that do not fit, and reader failures. Each is yielded once, last, and is
// not a *RecordError.
func TestDecodeEnds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		format  identity.Format
		opts    identity.Options
		input   string
		wantErr string
	}{
		{"unknown format", "xml", identity.Options{}, "", "unknown format"},
		{"a mapping for a JSON format", identity.FormatWeChat, identity.Options{Mapping: map[string]string{"phone": "m"}}, "", "for the csv format"},
		{"a mapping key that is not a field", identity.FormatCSV, identity.Options{Mapping: map[string]string{"mobile": "m"}}, "mobile\n1\n", "mapping: unknown field"},
		{"a source that would break identifier scopes", identity.FormatPOS, identity.Options{Source: "pos:east"}, posHeader, "must not contain"},
		{"a bad placeholder", identity.FormatPOS, identity.Options{Placeholders: []string{"not a phone"}}, posHeader, "Placeholders"},
		{"a mapped column missing from the header", identity.FormatCSV, identity.Options{Mapping: map[string]string{"phone": "手机"}}, "电话\n1\n", "lacks the columns mapped to phone"},
		{"a POS header without required columns", identity.FormatPOS, identity.Options{}, "store_id,mobile\nS1,1\n", "lacks pos columns receipt_no, amount, paid_at, status"},
		{"a CSV header naming no field", identity.FormatCSV, identity.Options{}, "a,b\n1,2\n", "no header column is named as a csv field"},
		{"a header naming a column twice", identity.FormatCSV, identity.Options{}, "phone,phone\n1,2\n", "header columns 1 and 2 have the same name"},
		// POS names are matched in any case: two spellings of one name
		// are one column twice, not a column chosen at random.
		{"a POS header naming a column twice in two cases", identity.FormatPOS, identity.Options{}, "paid_at,store_id,receipt_no,MoBile,Amount,stAtus,moBile\r\n0,27,0,,,,01", "header columns 4 and 7 name the pos column mobile"},
		{"a header that is not UTF-8", identity.FormatCSV, identity.Options{}, "phone,\xff\n1,2\n", "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decodeAll(t, tc.format, tc.opts, tc.input)
			if len(got) != 1 || got[0].err == nil {
				t.Fatalf("Decode yielded %v, want one error", got)
			}
			var re *identity.RecordError
			if errors.As(got[0].err, &re) {
				t.Fatalf("error %v is a *RecordError; want an error that ends the input", got[0].err)
			}
			if !strings.Contains(got[0].err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", got[0].err, tc.wantErr)
			}
		})
	}
}

func TestDecodeReaderError(t *testing.T) {
	boom := errors.New("disk on fire")
	for _, f := range identity.Formats {
		t.Run(string(f), func(t *testing.T) {
			var input string
			switch f {
			case identity.FormatPOS:
				input = posHeader + "S1,R1,M1,,,1,,,,paid,\n"
			case identity.FormatCSV:
				input = "record_id,phone\nC1,13912345678\n"
			default:
				input = "{\"openid\":\"o1\",\"idstr\":\"1\",\"tid\":1,\"payment\":\"1\",\"buyer_open_uid\":\"b\"}\n"
			}
			// The input is read in full, then the reader fails.
			r := io.MultiReader(strings.NewReader(input), iotest.ErrReader(boom))
			var last error
			n := 0
			for _, err := range identity.Decode(r, f, identity.Options{}) {
				n++
				last = err
			}
			if !errors.Is(last, boom) {
				t.Fatalf("last error = %v, want the reader's error", last)
			}
			var re *identity.RecordError
			if errors.As(last, &re) {
				t.Errorf("a reader error is a *RecordError: %v", last)
			}
			if n != 2 {
				t.Errorf("Decode yielded %d values, want the record then the error", n)
			}
		})
	}
}

// lines returns the line (or element) and outcome of everything Decode
// yielded: "3 id" for a record, "4 !reason" for a quarantine entry.
func lines(rs []result) []string {
	var out []string
	for _, r := range rs {
		var re *identity.RecordError
		switch {
		case errors.As(r.err, &re):
			out = append(out, strconv.Itoa(re.Line)+" !"+string(re.Reason))
		case r.err != nil:
			out = append(out, "error "+r.err.Error())
		default:
			out = append(out, strconv.Itoa(r.rec.Line)+" "+r.rec.ID)
		}
	}
	return out
}

func TestDecodeReading(t *testing.T) {
	long := `{"openid":"` + strings.Repeat("x", 1<<20) + `"}`
	for _, tc := range []struct {
		name   string
		format identity.Format
		input  string
		want   []string
	}{
		{
			name:   "JSON Lines: blank lines are skipped, not counted, and lines keep their numbers",
			format: identity.FormatWeChat,
			input:  "\n{\"openid\":\"a\"}\n\n  \r\n{\"openid\":\"b\"}\r\n",
			want:   []string{"2 a", "5 b"},
		},
		{
			name:   "a byte-order mark is skipped",
			format: identity.FormatWeChat,
			input:  "\ufeff{\"openid\":\"a\"}",
			want:   []string{"1 a"},
		},
		{
			name:   "a JSON array is streamed; elements are numbered from 1",
			format: identity.FormatWeChat,
			input:  " \n[{\"openid\":\"a\"},\n {\"openid\":\"b\"}, 7, {\"nickname\":\"x\"}]\n",
			want:   []string{"1 a", "2 b", "3 !malformed", "4 !missing_id"},
		},
		{
			name:   "a bad line is quarantined and reading goes on",
			format: identity.FormatWeChat,
			input:  "{\"openid\":\"a\"}\n{\"openid\":\n{\"openid\":\"c\"}\n",
			want:   []string{"1 a", "2 !malformed", "3 c"},
		},
		{
			name:   "a line that is not UTF-8 is quarantined",
			format: identity.FormatWeChat,
			input:  "{\"openid\":\"a\",\"nickname\":\"\xd6\xdc\"}\n{\"openid\":\"b\"}\n",
			want:   []string{"1 !invalid_encoding", "2 b"},
		},
		{
			name:   "a line over 1 MiB is quarantined without holding it, and reading goes on",
			format: identity.FormatWeChat,
			input:  long + "\n{\"openid\":\"b\"}\n",
			want:   []string{"1 !too_large", "2 b"},
		},
		{
			name:   "a syntax error in an array element quarantines the element, and reading goes on",
			format: identity.FormatWeChat,
			input:  `[{"openid":"a"}, {"openid": x}, {"openid":"c"}]`,
			want:   []string{"1 a", "2 !malformed", "3 c"},
		},
		{
			name:   "a truncated JSON array is quarantined",
			format: identity.FormatWeChat,
			input:  `[{"openid":"a"}, {"openid":"b"`,
			want:   []string{"1 a", "2 !malformed"},
		},
		{
			name:   "a lone opening bracket is a truncated array",
			format: identity.FormatWeibo,
			input:  "[",
			want:   []string{"1 !malformed"},
		},
		{
			name:   "data after a JSON array is reported unread",
			format: identity.FormatWeChat,
			input:  `[{"openid":"a"}] {"openid":"b"}`,
			want:   []string{"1 a", "2 !unread"},
		},
		{
			name:   "an empty array and an empty file yield nothing",
			format: identity.FormatWeibo,
			input:  " [ ] ",
			want:   nil,
		},
		{
			name:   "CSV: BOM, CRLF, blank lines skipped; a short row and a bad quote are malformed, reading goes on",
			format: identity.FormatCSV,
			input:  "\ufeffrecord_id,phone\r\nC1,13912345678\r\n\r\nC2\r\nC3,\"139\"12345678\r\nC4,13912345679\r\n",
			want:   []string{"2 C1", "4 !malformed", "5 !malformed", "6 C4"},
		},
		{
			name:   "CSV: a row that is not UTF-8 is quarantined",
			format: identity.FormatCSV,
			input:  "record_id,name,phone\nC1,\xbb\xc6\xd0\xa1\xbd\xe3,13912345678\nC2,黄小姐,13912345679\n",
			want:   []string{"2 !invalid_encoding", "3 C2"},
		},
		{
			name:   "CSV: a quoted field may span lines; the record keeps its first line",
			format: identity.FormatCSV,
			input:  "record_id,feedback_text,phone\nC1,\"line one\nline two\",13912345678\nC2,,13912345679\n",
			want:   []string{"2 C1", "4 C2"},
		},
		{
			name:   "CSV: a header alone yields nothing",
			format: identity.FormatCSV,
			input:  "record_id,phone\n",
			want:   nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := lines(decodeAll(t, tc.format, identity.Options{}, tc.input))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeArrayEqualsLines shows that the two JSON layouts give the same
// records.
func TestDecodeArrayEqualsLines(t *testing.T) {
	objs := []string{`{"idstr":"1","location":"广东 深圳"}`, `{"idstr":"2","mobile":"13912345678"}`, `{"screen_name":"x"}`}
	fromLines := decodeAll(t, identity.FormatWeibo, identity.Options{}, strings.Join(objs, "\n"))
	fromArray := decodeAll(t, identity.FormatWeibo, identity.Options{}, "["+strings.Join(objs, ",\n")+"]")
	var a, b []map[string]string
	for i := range fromLines {
		a = append(a, summary(fromLines[i]))
	}
	for i := range fromArray {
		b = append(b, summary(fromArray[i]))
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("JSON Lines vs JSON array (-lines +array):\n%s", diff)
	}
	if len(a) != 3 {
		t.Errorf("got %d results, want 3", len(a))
	}
}

// TestDecodeStops checks that breaking out of the loop stops the reading:
// the reader is not read to its end.
func TestDecodeStops(t *testing.T) {
	for _, f := range []identity.Format{identity.FormatWeChat, identity.FormatCSV} {
		t.Run(string(f), func(t *testing.T) {
			var b strings.Builder
			if f == identity.FormatCSV {
				b.WriteString("record_id,phone\n")
			}
			for i := range 100_000 {
				if f == identity.FormatCSV {
					b.WriteString("C" + strconv.Itoa(i+1) + ",13912345678\n")
				} else {
					b.WriteString(`{"openid":"o` + strconv.Itoa(i+1) + `"}` + "\n")
				}
			}
			r := &countingReader{r: strings.NewReader(b.String())}
			n := 0
			for range identity.Decode(r, f, identity.Options{}) {
				n++
				if n == 3 {
					break
				}
			}
			if r.n >= b.Len() {
				t.Errorf("Decode read all %d bytes after the loop stopped at 3 records", r.n)
			}
		})
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
