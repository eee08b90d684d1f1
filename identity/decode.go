package identity

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Format is the shape of an input file: one channel's native export, or any
// CSV read through a column mapping.
type Format string

// The formats [Decode] reads. The JSON formats accept JSON Lines or one JSON
// array; the CSV formats need a header row.
const (
	FormatWeChat    Format = "wechat"    // WeChat official-account user info, JSON
	FormatWeibo     Format = "weibo"     // Weibo users/show objects, JSON
	FormatEcommerce Format = "ecommerce" // Taobao/Tmall trades and JD orders, JSON
	FormatPOS       Format = "pos"       // store till export, CSV
	FormatCSV       Format = "csv"       // any CSV through [Options.Mapping]
)

// Formats lists every format [Decode] reads.
var Formats = []Format{FormatWeChat, FormatWeibo, FormatEcommerce, FormatPOS, FormatCSV}

// ParseFormat returns the format named s, such as "wechat" or "pos". It is the
// inverse of converting a Format to a string.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Formats, f) {
		return f, nil
	}
	return "", fmt.Errorf("identity: unknown format %q (want wechat, weibo, ecommerce, pos or csv)", s)
}

// channel returns the channel records of format f belong to.
func (f Format) channel() Channel { return Channel(f) }

// Options configure [Decode]. The zero Options are the defaults.
type Options struct {
	// Source names the source, such as "tmall-flagship" or "crm-2026"; it
	// becomes Record.Source and the scope of member numbers and of openids
	// read without an appid. The default is the format's name, except for
	// e-commerce, whose records default to their platform ("taobao" or
	// "jd"), so that a Taobao trade and a JD order with the same number
	// have different keys ("ecommerce/taobao/N", "ecommerce/jd/N"). An
	// explicit source names one shop, on one platform: give each
	// platform's export its own. E-commerce buyers and orders are scoped
	// by their platform regardless.
	Source string
	// Region is the default region for phone numbers written without a
	// country code, as an ISO 3166 code; "" means "CN".
	Region string
	// Mapping maps fields to column headers for FormatCSV, as returned by
	// [ParseMapping]; nil means every column is named as its field. It is an
	// error for other formats.
	Mapping map[string]string
	// Placeholders are phone values, besides the built-in ones, that staff
	// type when the customer gives none; they never become identifiers.
	Placeholders []string
	// Location is the zone of timestamps written without one; nil means
	// China Standard Time (UTC+8, no daylight saving time).
	Location *time.Location
	// Workers is how many goroutines decode records at once, at most
	// [MaxWorkers]; 0 or 1 means the caller's alone. With more, one
	// goroutine cuts the input into records and reads ahead of the
	// caller, by up to a few thousand records; the records still come in
	// input order, and Decode has stopped reading when its iteration
	// ends. Workers are for files: a break waits for the read in
	// progress.
	Workers int
}

// MaxWorkers bounds [Options].Workers: more goroutines than that only
// hold more records read ahead.
const MaxWorkers = 64

// chinaTime is China Standard Time. A fixed zone needs no tzdata.
var chinaTime = time.FixedZone("CST", 8*60*60)

// ParseMapping parses a column mapping written as on a command line:
// comma-separated field=column pairs, such as
// "phone=mobile,name=full name". Spaces around fields and columns are
// trimmed. It reports unknown fields and fields mapped twice.
func ParseMapping(s string) (map[string]string, error) {
	m := map[string]string{}
	for i, pair := range strings.Split(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		field, column, ok := strings.Cut(pair, "=")
		field, column = strings.TrimSpace(field), strings.TrimSpace(column)
		if !ok || field == "" || column == "" {
			return nil, fmt.Errorf("identity: mapping pair %d: want field=column", i+1)
		}
		if !isCSVField(field) {
			return nil, fmt.Errorf("identity: mapping pair %d: unknown field (want one of %s)", i+1, strings.Join(CSVFields, ", "))
		}
		if _, dup := m[field]; dup {
			return nil, fmt.Errorf("identity: mapping pair %d: its field is mapped twice", i+1)
		}
		m[field] = column
	}
	if len(m) == 0 {
		return nil, errors.New("identity: empty mapping")
	}
	return m, nil
}

// Decode reads records of format f from r and yields them one at a time.
//
// For each accepted record it yields the [Record] and a nil error. For each
// quarantined record it yields a zero Record and a [*RecordError] naming the
// source, line, record id (when readable), field and reason; it then goes on
// with the next record, so that records read = accepted + quarantined.
// Any other error (bad [Options], a header that does not fit, an I/O error)
// ends the iteration. Empty lines are skipped and not counted.
//
// Input must be UTF-8 (a leading byte-order mark is skipped); a record that
// is not valid UTF-8 is quarantined with [ReasonInvalidEncoding]. JSON formats
// accept JSON Lines or one JSON array, told apart by the first non-space
// byte; arrays are streamed, not read into memory, and an element that
// does not parse is quarantined and the next one read (see the package documentation for the record
// cap and resynchronisation). CSV formats need a header
// row; columns may come in any order, and columns [Decode] does not know are
// ignored.
//
// Decode reads r only while the caller iterates; stopping the loop early
// stops reading. It does not close r. Each iteration starts afresh, reading
// opts as they are then; separate iterations may run concurrently on
// separate readers. The yielded records are the caller's to keep.
func Decode(r io.Reader, f Format, opts Options) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		c, err := newConfig(f, opts)
		if err != nil {
			yield(Record{}, err)
			return
		}
		cr := &countingReader{r: r}
		br := bufio.NewReaderSize(cr, 64<<10)
		offset := func() int64 { return cr.n - int64(br.Buffered()) }
		if b, _ := br.Peek(3); bytes.Equal(b, utf8BOM) {
			_, _ = br.Discard(3)
		}
		// Every quarantined record names its channel.
		emit := func(rec Record, err error) bool {
			if re, ok := err.(*RecordError); ok {
				re.Channel = c.channel
			}
			return yield(rec, err)
		}
		cut := func(s sink) error {
			if f == FormatPOS || f == FormatCSV {
				return c.decodeCSV(br, s)
			}
			return c.decodeJSON(br, offset, s)
		}
		if opts.Workers > 1 {
			err = decodeParallel(min(opts.Workers, MaxWorkers), cut, emit)
		} else {
			err = cut(inline(emit))
		}
		if err != nil {
			yield(Record{}, err)
		}
	}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// config is the validated form of Options for one Decode call.
type config struct {
	format  Format
	channel Channel
	source  string
	given   bool // the caller named the source
	loc     *time.Location
	phones  *PhoneParser
	mapping map[string]string
	json    func(b *builder, o jsonObject) // the JSON adapter
	horizon time.Time                      // times after it are far in the future
}

func newConfig(f Format, opts Options) (*config, error) {
	if !slices.Contains(Formats, f) {
		return nil, fmt.Errorf("identity: unknown format %q", string(f))
	}
	c := &config{format: f, channel: f.channel(), source: strings.TrimSpace(opts.Source), loc: opts.Location}
	c.given = c.source != ""
	c.horizon = time.Now().AddDate(1, 0, 0)
	if !c.given {
		c.source = string(f)
	}
	if strings.ContainsAny(c.source, ":/") || !utf8.ValidString(c.source) {
		// The source scopes identifiers ("member:source:value") and prefixes
		// record keys ("channel/source/id").
		return nil, errors.New("identity: Options.Source must not contain ':' or '/' and must be UTF-8")
	}
	if c.loc == nil {
		c.loc = chinaTime
	}
	if opts.Mapping != nil && f != FormatCSV {
		return nil, fmt.Errorf("identity: Options.Mapping is for the csv format, not %s", f)
	}
	for field := range opts.Mapping {
		if !isCSVField(field) {
			return nil, errors.New("identity: mapping: unknown field")
		}
	}
	c.mapping = opts.Mapping
	phones, err := NewPhoneParser(opts.Region, opts.Placeholders)
	if err != nil {
		// The error names the placeholder's index and reason only.
		return nil, fmt.Errorf("identity: Options.Placeholders: %w", err)
	}
	c.phones = phones
	switch f {
	case FormatWeChat:
		c.json = decodeWeChat
	case FormatWeibo:
		c.json = decodeWeibo
	case FormatEcommerce:
		c.json = decodeEcommerce
	}
	return c, nil
}

// MaxRecordBytes bounds one record in every format: a JSON line, a JSON
// array element, a CSV row (with its header for a retry). A longer record
// is quarantined with [ReasonTooLarge] and skipped without being held in
// memory.
const MaxRecordBytes = 1 << 20

// decodeJSON reads JSON Lines or a JSON array and runs the adapter on each
// object. It returns only errors that end the iteration.
func (c *config) decodeJSON(br *bufio.Reader, offset func() int64, out sink) error {
	line := 1
	for {
		b, err := br.Peek(1)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("identity: %s: read: %w", c.source, err)
		}
		if !isJSONSpace(b[0]) {
			if b[0] == '[' {
				return c.decodeJSONArray(br, offset, out)
			}
			break
		}
		if b[0] == '\n' {
			line++
		}
		_, _ = br.Discard(1)
	}
	for ; ; line++ {
		raw, tooLong, err := readLine(br)
		if err != nil && err != io.EOF {
			return fmt.Errorf("identity: %s line %d: read: %w", c.source, line, err)
		}
		raw = bytes.TrimSpace(raw)
		if tooLong {
			e := &RecordError{Source: c.source, Line: line, Reason: ReasonTooLarge,
				Err: fmt.Errorf("line longer than %d bytes", MaxRecordBytes)}
			if !out.put(Record{}, e) {
				return nil
			}
		} else if len(raw) > 0 {
			if !out.later(c.objectDecoder(line, raw)) {
				return nil
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine reads one line with its newline. A line longer than MaxRecordBytes
// is consumed and reported as tooLong.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	return readLineInto(br, nil)
}

// readLineInto is readLine appending to buf.
func readLineInto(br *bufio.Reader, buf []byte) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > MaxRecordBytes {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return buf, tooLong, err
	}
}

// decodeJSONArray streams the elements of one JSON array. An element that
// does not parse is quarantined and the next one is read; a break the
// scanner cannot skip (a bracket that does not match, data between or
// after the elements) quarantines what it cut and reports the rest of the
// input unread, with its offset, as a [ReasonUnread] entry.
func (c *config) decodeJSONArray(br *bufio.Reader, offset func() int64, out sink) error {
	a := &arrayScanner{br: br, offset: offset}
	if _, err := br.ReadByte(); err != nil { // the '['
		return fmt.Errorf("identity: %s: read: %w", c.source, err)
	}
	elem := 0
	unread := func(at int64, what string) error {
		out.put(Record{}, &RecordError{Source: c.source, Line: elem, Reason: ReasonUnread, Offset: at,
			Err: fmt.Errorf("%s at byte %d; the rest of the input was not read", what, at)})
		return nil
	}
	truncated := func() error {
		out.put(Record{}, &RecordError{Source: c.source, Line: elem, Reason: ReasonMalformed,
			Err: errors.New("the JSON array ends inside this element")})
		return nil
	}
	for {
		elem++
		b, err := a.skipSpace()
		if err == io.EOF {
			return truncated()
		}
		if err != nil {
			return fmt.Errorf("identity: %s element %d: read: %w", c.source, elem, err)
		}
		if elem > 1 {
			switch b {
			case ']':
				return c.arrayEnd(a, elem, unread)
			case ',':
			default:
				return unread(offset()-1, "no comma between elements")
			}
			if b, err = a.skipSpace(); err == io.EOF {
				return truncated()
			} else if err != nil {
				return fmt.Errorf("identity: %s element %d: read: %w", c.source, elem, err)
			}
		} else if b == ']' {
			return c.arrayEnd(a, elem, unread)
		}
		start := offset() - 1
		raw, tooLarge, err := a.element(b)
		var broken errArrayBroken
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			return truncated()
		case errors.As(err, &broken):
			at := offset() - 1
			if !out.put(Record{}, &RecordError{Source: c.source, Line: elem, Reason: ReasonMalformed,
				Err: fmt.Errorf("%s at byte %d", broken.what, at)}) {
				return nil
			}
			elem++
			return unread(at, "broken JSON array")
		case err != nil:
			return fmt.Errorf("identity: %s element %d: read: %w", c.source, elem, err)
		case tooLarge:
			e := &RecordError{Source: c.source, Line: elem, Reason: ReasonTooLarge,
				Err: fmt.Errorf("element at byte %d longer than %d bytes", start, MaxRecordBytes)}
			if !out.put(Record{}, e) {
				return nil
			}
			continue
		}
		if !out.later(c.objectDecoder(elem, raw)) {
			return nil
		}
	}
}

// arrayEnd checks that only white space follows the closing bracket.
func (c *config) arrayEnd(a *arrayScanner, elem int, unread func(int64, string) error) error {
	_, err := a.skipSpace()
	switch {
	case err == io.EOF:
		return nil
	case err != nil:
		return fmt.Errorf("identity: %s: read: %w", c.source, err)
	}
	return unread(a.offset()-1, "data after the JSON array")
}

// objectDecoder returns the decoding of one JSON object, which owns raw.
func (c *config) objectDecoder(line int, raw []byte) func() (Record, error) {
	return func() (Record, error) { return c.decodeObject(line, raw) }
}

// decodeObject runs the adapter on one JSON object.
func (c *config) decodeObject(line int, raw []byte) (Record, error) {
	if !utf8.Valid(raw) {
		return Record{}, &RecordError{Source: c.source, Line: line, Reason: ReasonInvalidEncoding, Raw: keepRaw(raw)}
	}
	o, ok := parseObject(raw)
	if !ok {
		return Record{}, &RecordError{Source: c.source, Line: line, Reason: ReasonMalformed,
			Err: errors.New("not a JSON object"), Raw: keepRaw(raw)}
	}
	b := c.newBuilder(line)
	c.json(b, o)
	rec, err := b.finish()
	if re, ok := err.(*RecordError); ok {
		re.Raw = keepRaw(raw)
	}
	return rec, err
}

// keepRaw copies a quarantined record for a retry, unless it is longer
// than maxRawKept.
func keepRaw(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n > maxRawKept {
		return nil
	}
	return bytes.Join(parts, nil)
}

func isJSONSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// csvRow is one CSV row, addressed by field name.
type csvRow struct {
	cols   map[string]int // field -> column index
	fields []string
}

// get returns the trimmed value of field, or "" when the field has no column.
func (r csvRow) get(field string) string {
	i, ok := r.cols[field]
	if !ok || i >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// decodeCSV reads a CSV file with a header row and runs the POS or the
// generic CSV adapter on every row. Rows are cut by a [csvSplitter], so a
// stray quote takes at most its own row.
func (c *config) decodeCSV(br *bufio.Reader, out sink) error {
	sp := &csvSplitter{br: br}
	head, ok := sp.next(0)
	if !ok {
		if sp.err != nil {
			return fmt.Errorf("identity: %s: read: %w", c.source, sp.err)
		}
		return nil
	}
	if head.fields == nil {
		return headerErr(false, "identity: %s line %d: header: %v", c.source, head.line, head.err)
	}
	header := slices.Clone(head.fields) // the splitter reuses its fields
	cols, err := c.csvColumns(header)
	if err != nil {
		return err
	}
	headText := append(bytes.Clone(head.text), '\n')
	width := len(header)
	for {
		row, ok := sp.next(width)
		if !ok {
			if sp.err != nil {
				return fmt.Errorf("identity: %s line %d: read: %w", c.source, sp.line, sp.err)
			}
			return nil
		}
		line := row.line
		var rerr error
		switch {
		case row.fields == nil:
			e := &RecordError{Source: c.source, Line: line, Reason: row.reason, Err: row.err}
			if row.reason != ReasonTooLarge {
				e.Raw = keepRaw(headText, row.text)
			}
			rerr = e
		case len(row.fields) != width:
			rerr = &RecordError{Source: c.source, Line: line, Reason: ReasonMalformed,
				Err: fmt.Errorf("%d columns, header has %d", len(row.fields), width), Raw: keepRaw(headText, row.text)}
		case !validFields(row.fields):
			rerr = &RecordError{Source: c.source, Line: line, Reason: ReasonInvalidEncoding, Raw: keepRaw(headText, row.text)}
		}
		if rerr != nil {
			if !out.put(Record{}, rerr) {
				return nil
			}
			continue
		}
		// The splitter reuses the row's field slice and text; a decoding
		// run later must own them.
		fields, text := row.fields, row.text
		if out.deferred() {
			fields, text = slices.Clone(fields), bytes.Clone(text)
		}
		if !out.later(func() (Record, error) {
			b := c.newBuilder(line)
			r := csvRow{cols: cols, fields: fields}
			if c.format == FormatPOS {
				decodePOS(b, r)
			} else {
				decodeCSVRow(b, r)
			}
			rec, err := b.finish()
			if re, ok := err.(*RecordError); ok {
				re.Raw = keepRaw(headText, text)
			}
			return rec, err
		}) {
			return nil
		}
	}
}

func validFields(fields []string) bool {
	for _, f := range fields {
		if !utf8.ValidString(f) {
			return false
		}
	}
	return true
}

// csvColumns maps the fields the adapter reads to column indexes.
func (c *config) csvColumns(header []string) (map[string]int, error) {
	// Errors about the header give column numbers, not names: a file without
	// a header row has personal data where the names should be.
	index := map[string]int{}
	for i, h := range header {
		if !utf8.ValidString(h) {
			return nil, headerErr(false, "identity: %s: header column %d is not valid UTF-8; input must be UTF-8", c.source, i+1)
		}
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if j, dup := index[h]; dup {
			return nil, headerErr(false, "identity: %s: header columns %d and %d have the same name", c.source, j+1, i+1)
		}
		index[h] = i
	}
	cols := map[string]int{}
	if c.format == FormatPOS {
		// POS names are matched in any case, so "Mobile" and "mobile"
		// are one column named twice.
		for i, h := range header {
			f := strings.ToLower(strings.TrimSpace(h))
			if !slices.Contains(posFields, f) {
				continue
			}
			if j, dup := cols[f]; dup {
				return nil, headerErr(false, "identity: %s: header columns %d and %d name the pos column %s", c.source, j+1, i+1, f)
			}
			cols[f] = i
		}
		var missing []string
		for _, f := range posRequired {
			if _, ok := cols[f]; !ok {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			return nil, headerErr(false, "identity: %s: header lacks pos columns %s", c.source, strings.Join(missing, ", "))
		}
		return cols, nil
	}
	if c.mapping == nil {
		for h, i := range index {
			if isCSVField(h) {
				cols[h] = i
			}
		}
		if len(cols) == 0 {
			return nil, headerErr(true, "identity: %s: no header column is named as a csv field; give Options.Mapping", c.source)
		}
		return cols, nil
	}
	var missing []string
	for field, column := range c.mapping {
		i, ok := index[strings.TrimSpace(column)]
		if !ok {
			missing = append(missing, field)
			continue
		}
		cols[field] = i
	}
	if len(missing) > 0 {
		// The fields, not the columns: a column name is what the caller
		// typed, and may be anything.
		slices.Sort(missing)
		return nil, headerErr(false, "identity: %s: header lacks the columns mapped to %s", c.source, strings.Join(missing, ", "))
	}
	return cols, nil
}
