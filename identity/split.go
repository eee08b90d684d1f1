package identity

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// This file cuts an input into records before any adapter sees them, so
// that bad bytes never take good records with them: a CSV field opening a
// stray quote swallows at most its own row, a JSON array element that does
// not parse is skipped, and a record longer than MaxRecordBytes is skipped
// without being held in memory.

// maxRawKept bounds the raw record a quarantine entry keeps for a retry.
const maxRawKept = 64 << 10

// maxRecordLines bounds the lines one CSV record may span: a quoted field
// spanning more is taken for a stray quote.
const maxRecordLines = 100

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// physLine is one line of input without its line ending.
type physLine struct {
	text    []byte
	num     int  // 1-based line number
	tooLong bool // longer than MaxRecordBytes; text is nil
}

// csvSplitter cuts CSV input into records: one line, or several when a
// quoted field spans lines. When a record that spans lines does not parse,
// or has another number of fields than the header, or grows past
// MaxRecordBytes or maxRecordLines, its first line is reported broken and
// the lines after it are read again as records of their own.
type csvSplitter struct {
	br      *bufio.Reader
	line    int        // number of the last line read from br
	pending []physLine // lines to read again, in order
	eof     bool
	err     error    // a read error; it ends the input
	line0   []byte   // the buffer of the last line read from br
	fields  []string // reused by each record
	scratch []byte   // reused by each record
}

// csvRecord is one record as the splitter cut it.
type csvRecord struct {
	line     int      // its first line
	fields   []string // nil when broken
	text     []byte   // the record's text, without the final line ending
	reason   Reason   // why it is broken, when it is
	err      error    // the parse error, when it is broken; it carries no data
	lastLine int      // its last line
}

// next returns the next physical line, from the lines pushed back first.
func (s *csvSplitter) nextLine() (physLine, bool) {
	if len(s.pending) > 0 {
		l := s.pending[0]
		s.pending = s.pending[1:]
		return l, true
	}
	if s.eof || s.err != nil {
		return physLine{}, false
	}
	raw, tooLong, err := readLineInto(s.br, s.line0[:0])
	if cap(raw) <= MaxRecordBytes {
		s.line0 = raw[:0]
	}
	if err != nil && err != io.EOF {
		s.err = err
		return physLine{}, false
	}
	if err == io.EOF {
		s.eof = true
		if len(raw) == 0 && !tooLong {
			return physLine{}, false
		}
	}
	s.line++
	raw = bytes.TrimSuffix(bytes.TrimSuffix(raw, []byte("\n")), []byte("\r"))
	if tooLong {
		raw = nil
	}
	return physLine{text: raw, num: s.line, tooLong: tooLong}, true
}

// next returns the next record, skipping empty lines; ok is false at the
// end of the input or after a read error (see s.err). width is the number
// of fields the header has, or 0 for the header itself.
func (s *csvSplitter) next(width int) (rec csvRecord, ok bool) {
	var first physLine
	for {
		first, ok = s.nextLine()
		if !ok {
			return csvRecord{}, false
		}
		if first.tooLong || len(first.text) > 0 {
			break
		}
	}
	if first.tooLong {
		return csvRecord{line: first.num, lastLine: first.num, reason: ReasonTooLarge,
			err: fmt.Errorf("line longer than %d bytes", MaxRecordBytes)}, true
	}
	var linesArr [1]physLine
	lines := append(linesArr[:0], first)
	text := first.text
	broken := func(reason Reason, err error) (csvRecord, bool) {
		if len(lines) > 1 {
			s.pending = append(append([]physLine(nil), lines[1:]...), s.pending...)
		}
		return csvRecord{line: first.num, lastLine: first.num, text: first.text, reason: reason, err: err}, true
	}
	for open := quoteOpen(first.text, false); open; {
		if len(lines) == 1 {
			// The next line reuses the buffer of this one.
			first.text = bytes.Clone(first.text)
			lines[0], text = first, first.text
		}
		l, more := s.nextLine()
		l.text = bytes.Clone(l.text)
		if !more {
			if len(lines) == 1 {
				break // the parse below reports the open quote
			}
			return broken(ReasonMalformed, errors.New("quoted field not closed; read again from the next line"))
		}
		lines = append(lines, l)
		if l.tooLong || len(text)+1+len(l.text) > MaxRecordBytes || len(lines) > maxRecordLines {
			return broken(ReasonMalformed, errors.New("quoted field not closed within the record size; read again from the next line"))
		}
		text = append(append(bytes.Clone(text), '\n'), l.text...)
		open = quoteOpen(l.text, true)
	}
	fields, scratch, err := parseCSVRecord(text, s.fields, s.scratch)
	s.scratch = scratch
	if err == nil {
		s.fields = fields
	}
	switch {
	case err != nil && len(lines) > 1:
		return broken(ReasonMalformed, fmt.Errorf("%v; read again from the next line", err))
	case err != nil:
		return csvRecord{line: first.num, lastLine: first.num, text: text, reason: ReasonMalformed, err: err}, true
	case width > 0 && len(fields) != width && len(lines) > 1:
		return broken(ReasonMalformed, errors.New("quoted field spans lines into other rows; read again from the next line"))
	}
	return csvRecord{line: first.num, lastLine: lines[len(lines)-1].num, fields: fields, text: text}, true
}

// quoteOpen reports whether a quoted field is still open at the end of
// line, given whether one was open at its start. It follows the quoting of
// [parseCSVRecord]: a quote opens a field only at the field's start, and a
// doubled quote inside a quoted field is a quote character.
func quoteOpen(line []byte, open bool) bool {
	fieldStart := !open
	for i := 0; i < len(line); i++ {
		c := line[i]
		if open {
			if c == '"' {
				if i+1 < len(line) && line[i+1] == '"' {
					i++
					continue
				}
				open = false
			}
			continue
		}
		switch {
		case c == ',':
			fieldStart = true
		case c == '"' && fieldStart:
			open = true
			fieldStart = false
		default:
			fieldStart = false
		}
	}
	return open
}

// The parse errors of a CSV record, as encoding/csv words them.
var (
	errCSVBareQuote = errors.New("bare \" in non-quoted-field")
	errCSVQuote     = errors.New("extraneous or missing \" in quoted-field")
)

// parseCSVRecord splits one record (lines joined by '\n') into fields, as
// encoding/csv does with its defaults: comma-separated, a field that opens
// with a quote is quoted and may hold commas, newlines and doubled quotes,
// and a quote anywhere else is an error. Like encoding/csv, it makes one
// string of the record and slices the fields from it; dst and scratch are
// reused.
func parseCSVRecord(text []byte, dst []string, scratch []byte) ([]string, []byte, error) {
	all := scratch[:0]
	var ends []int
	var endsArr [32]int
	ends = endsArr[:0]
	for i := 0; ; {
		if i < len(text) && text[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(text[i:], '"')
				if j < 0 {
					return nil, all, errCSVQuote
				}
				all = append(all, text[i:i+j]...)
				i += j + 1
				if i < len(text) && text[i] == '"' {
					all = append(all, '"')
					i++
					continue
				}
				break
			}
			ends = append(ends, len(all))
			if i == len(text) {
				break
			}
			if text[i] != ',' {
				return nil, all, errCSVQuote
			}
			i++
			continue
		}
		j := bytes.IndexByte(text[i:], ',')
		end := len(text)
		if j >= 0 {
			end = i + j
		}
		f := text[i:end]
		if bytes.IndexByte(f, '"') >= 0 {
			return nil, all, errCSVBareQuote
		}
		all = append(all, f...)
		ends = append(ends, len(all))
		if j < 0 {
			break
		}
		i = end + 1
	}
	str := string(all)
	fields := dst[:0]
	prev := 0
	for _, e := range ends {
		fields = append(fields, str[prev:e])
		prev = e
	}
	return fields, all, nil
}

// arrayScanner cuts the elements of one JSON array out of its input
// without parsing them: it follows strings and brackets only, so that an
// element with a syntax error inside its brackets, or nested too deep for
// encoding/json, is delimited all the same and its neighbours are read.
type arrayScanner struct {
	br     *bufio.Reader
	offset func() int64 // the input offset of the next byte of br
}

// errArrayBroken reports a break the scanner cannot skip: the rest of the
// input is not read.
type errArrayBroken struct{ what string }

func (e errArrayBroken) Error() string { return e.what }

// skipSpace consumes JSON white space and returns the next byte, or
// io.EOF.
func (a *arrayScanner) skipSpace() (byte, error) {
	for {
		c, err := a.br.ReadByte()
		if err != nil {
			return 0, err
		}
		if !isJSONSpace(c) {
			return c, nil
		}
	}
}

// element reads one element starting with its first byte c. It returns
// the element's bytes, or nil with tooLarge when it is longer than
// MaxRecordBytes. The byte after a scalar element is unread. A truncated
// element returns io.ErrUnexpectedEOF; a closing bracket that does not
// match returns an errArrayBroken.
func (a *arrayScanner) element(c byte) (raw []byte, tooLarge bool, err error) {
	buf := []byte{c}
	keep := func(b []byte) {
		if tooLarge {
			return
		}
		if len(buf)+len(b) > MaxRecordBytes {
			tooLarge, buf = true, nil
			return
		}
		buf = append(buf, b...)
	}
	const maxTracked = 10_001 // past encoding/json's depth limit
	var stack []byte          // the closing brackets expected
	deeper := 0               // levels past maxTracked
	open := func(close byte) {
		if len(stack) < maxTracked {
			stack = append(stack, close)
		} else {
			deeper++
		}
	}
	switch c {
	case '{':
		open('}')
	case '[':
		open(']')
	case '"':
		if err := a.string(keep); err != nil {
			return nil, false, err
		}
	}
	for len(stack) > 0 {
		c, err := a.br.ReadByte()
		if err == io.EOF {
			return nil, false, io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, false, err
		}
		keep([]byte{c})
		switch c {
		case '"':
			if err := a.string(keep); err != nil {
				return nil, false, err
			}
		case '{':
			open('}')
		case '[':
			open(']')
		case '}', ']':
			if deeper > 0 {
				deeper--
				continue
			}
			if stack[len(stack)-1] != c {
				return nil, false, errArrayBroken{fmt.Sprintf("a %q closes a %q", c, opening(stack[len(stack)-1]))}
			}
			stack = stack[:len(stack)-1]
		}
	}
	if c != '{' && c != '[' && c != '"' {
		// A scalar runs to the next delimiter.
		for {
			b, err := a.br.ReadByte()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, false, err
			}
			if b == ',' || b == ']' || isJSONSpace(b) {
				_ = a.br.UnreadByte()
				break
			}
			keep([]byte{b})
		}
	}
	return buf, tooLarge, nil
}

func opening(close byte) byte {
	if close == '}' {
		return '{'
	}
	return '['
}

// string consumes the rest of a JSON string whose opening quote was read,
// passing its bytes to keep in chunks.
func (a *arrayScanner) string(keep func([]byte)) error {
	escaped := false
	for {
		if _, err := a.br.Peek(1); err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		chunk, _ := a.br.Peek(a.br.Buffered())
		for i, c := range chunk {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				keep(chunk[:i+1])
				_, _ = a.br.Discard(i + 1)
				return nil
			}
		}
		keep(chunk)
		_, _ = a.br.Discard(len(chunk))
	}
}
