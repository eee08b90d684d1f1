package workload

import (
	"strconv"
	"strings"
	"time"
)

// Rendering: the native bytes of each line. Rendering draws nothing at
// random: every choice was made when the person was generated, so a line
// renders the same whenever and wherever it is rendered.

func unixTime(t int64) time.Time { return time.Unix(t, 0).In(cst) }

const (
	localLayout = "2006-01-02 15:04:05"
	weiboLayout = time.RubyDate
)

// The CSV headers. The POS export starts with a byte-order mark and ends
// lines with CRLF, as tills on Windows write it.
const (
	posHeader    = "paid_at,store_id,receipt_no,member_no,mobile,customer_name,amount,currency,category,status,referrer_mobile"
	crmHeader    = "record_id,phone,name,gender,birthday,email,province,city,consent_marketing,consent_personalisation,consent_third_party,observed_at"
	surveyHeader = "record_id,observed_at,phone,nps,csat,feedback_text,referrer_phone"
)

func appendHeader(b []byte, file int) []byte {
	switch file {
	case filePOS:
		return append(append(append(b, "\ufeff"...), posHeader...), "\r\n"...)
	case fileCRM:
		return append(append(b, crmHeader...), '\n')
	case fileSurvey:
		return append(append(b, surveyHeader...), '\n')
	case fileJD:
		return append(b, '[')
	}
	return b
}

func appendFooter(b []byte, file int) []byte {
	if file == fileJD {
		return append(b, "\n]\n"...)
	}
	return b
}

// appendRecord appends line l of person p, the n-th line of its file.
func appendRecord(b []byte, g *Generator, p *person, l *line, n int) []byte {
	switch l.kind {
	case lineOA:
		return append(appendOA(b, g, p), '\n')
	case lineMP:
		return append(appendMP(b, g, p), '\n')
	case lineFan, lineLead:
		return append(appendWeibo(b, g, p, l.kind == lineLead), '\n')
	case lineTaobao:
		return append(appendTaobao(b, g, p, int(l.ref), l.second), '\n')
	case lineJD:
		if n > 1 {
			b = append(b, ',')
		}
		return appendJD(append(b, '\n'), g, p, int(l.ref), l.second)
	case lineRegistration:
		return append(appendRegistration(b, g, p), "\r\n"...)
	case lineReceipt:
		return append(appendReceipt(b, g, p, int(l.ref), l.second), "\r\n"...)
	case lineCRM:
		return append(appendCRM(b, g, p), '\n')
	case lineSurvey:
		return append(appendSurvey(b, g, p), '\n')
	}
	panic("workload: unknown line kind")
}

// A jsonObject appends one JSON object, field by field.
type jsonObject struct {
	b []byte
	n int
}

func (o *jsonObject) key(k string) {
	if o.n > 0 {
		o.b = append(o.b, ", "...)
	} else {
		o.b = append(o.b, '{')
	}
	o.n++
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, `": `...)
}

func (o *jsonObject) str(k, v string) {
	o.key(k)
	o.b = appendJSONString(o.b, v)
}

// strFn appends a string value that fn appends unquoted.
func (o *jsonObject) strFn(k string, fn func([]byte) []byte) {
	o.key(k)
	o.b = append(o.b, '"')
	start := len(o.b)
	o.b = fn(o.b)
	if needsEscape(o.b[start:]) {
		v := string(o.b[start:])
		o.b = appendJSONString(o.b[:start-1], v)
		return
	}
	o.b = append(o.b, '"')
}

func (o *jsonObject) num(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

func (o *jsonObject) raw(k, v string) {
	o.key(k)
	o.b = append(o.b, v...)
}

func (o *jsonObject) time(k string, t int64, layout string) {
	o.strFn(k, func(b []byte) []byte { return unixTime(t).AppendFormat(b, layout) })
}

func (o *jsonObject) amount(k string, fen int64) {
	o.strFn(k, func(b []byte) []byte { return appendYuan(b, fen) })
}

func (o *jsonObject) end() []byte {
	if o.n == 0 {
		return append(o.b, "{}"...)
	}
	return append(o.b, '}')
}

func needsEscape(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// appendYuan appends an amount in fen as yuan with two decimals.
func appendYuan(b []byte, fen int64) []byte {
	if fen < 0 {
		b = append(b, '-')
		fen = -fen
	}
	b = strconv.AppendInt(b, fen/100, 10)
	b = append(b, '.')
	return appendPadded(b, uint64(fen%100), 2)
}

// appendThousands appends an amount in yuan with thousands separators, as
// some tills print it: 1,299.00.
func appendThousands(b []byte, fen int64) []byte {
	y := fen / 100
	if y >= 1000 {
		b = strconv.AppendInt(b, y/1000, 10)
		b = append(b, ',')
		b = appendPadded(b, uint64(y%1000), 3)
	} else {
		b = strconv.AppendInt(b, y, 10)
	}
	b = append(b, '.')
	return appendPadded(b, uint64(fen%100), 2)
}

// Names.

func givenChars(p *person) []string {
	if p.female {
		return givenFemale
	}
	return givenMale
}

// appendGiven appends p's given name.
func appendGiven(b []byte, p *person) []byte {
	gc := givenChars(p)
	b = append(b, gc[p.g1]...)
	if p.g2 >= 0 {
		b = append(b, gc[p.g2]...)
	}
	return b
}

// appendName appends p's full name: surname, then given name.
func appendName(b []byte, p *person) []byte {
	return appendGiven(append(b, surnames[p.sur].name...), p)
}

// appendTitle appends the placeholder a clerk or platform writes instead
// of a name: the surname and 先生 or 女士, or 顾客.
func appendTitle(b []byte, p *person, k int) []byte {
	switch {
	case k%5 == 4:
		return append(b, placeholderNames[2]...)
	case p.female:
		return append(append(b, surnames[p.sur].name...), placeholderNames[1]...)
	}
	return append(append(b, surnames[p.sur].name...), placeholderNames[0]...)
}

// appendEnglish appends the Latin name p uses online.
func appendEnglish(b []byte, p *person, k uint8) []byte {
	n := len(englishNames) / 2
	off := 0
	if !p.female {
		off = n
	}
	return append(b, englishNames[off+int(k)%n]...)
}

// appendCity appends a city name as platforms write it in full, with 市.
func appendCity(b []byte, r *region) []byte {
	return append(append(b, r.city...), "市"...)
}

// appendCSV appends a CSV field, quoted when it must be.
func appendCSV(b []byte, v []byte) []byte {
	if !strings.ContainsAny(string(v), ",\"\r\n") {
		return append(b, v...)
	}
	b = append(b, '"')
	for _, c := range v {
		if c == '"' {
			b = append(b, '"')
		}
		b = append(b, c)
	}
	return append(b, '"')
}
