package server

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/scv-go/scv"
)

// appendJSON appends v as encoding/json encodes it (with SetEscapeHTML
// false, without the newline) to dst. A profile is the answer of every
// lookup, and encoding/json's reflection over it, a time value taking
// an allocation and a validating pass each, was a fifth of the server's
// handler: this writes the same bytes directly. TestViewJSON checks the
// two agree on every fixture profile, masked and not, and on hostile
// strings, and fails when a field is added to a type written here.
func (v *profileView) appendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, v.ID)
	dst = append(dst, `,"phones":`...)
	dst = appendStrings(dst, v.Phones)
	if v.Name != "" {
		dst = append(dst, `,"name":`...)
		dst = appendJSONString(dst, v.Name)
	}
	dst = append(dst, `,"stage":`...)
	dst = appendJSONString(dst, string(v.Stage))
	dst = append(dst, `,"risk":`...)
	dst = appendJSONString(dst, string(v.Risk))
	dst = append(dst, `,"metrics":`...)
	if dst, err = appendMetrics(dst, &v.Metrics); err != nil {
		return nil, err
	}
	dst = append(dst, `,"consent":`...)
	dst = appendConsent(dst, v.Consent)
	dst = append(dst, `,"sources":`...)
	if v.Sources == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range v.Sources {
			s := &v.Sources[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"channel":`...)
			dst = appendJSONString(dst, string(s.Channel))
			dst = append(dst, `,"source":`...)
			dst = appendJSONString(dst, s.Source)
			dst = append(dst, `,"record_id":`...)
			dst = appendJSONString(dst, s.RecordID)
			if !s.Observed.IsZero() {
				dst = append(dst, `,"observed":`...)
				if dst, err = appendJSONTime(dst, s.Observed); err != nil {
					return nil, err
				}
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"identifiers":`...)
	if v.Identifiers == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range v.Identifiers {
			id := &v.Identifiers[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"kind":`...)
			dst = appendJSONString(dst, id.Kind)
			if id.Scope != "" {
				dst = append(dst, `,"scope":`...)
				dst = appendJSONString(dst, id.Scope)
			}
			dst = append(dst, `,"value":`...)
			dst = appendJSONString(dst, id.Value)
			dst = append(dst, `,"status":`...)
			dst = appendJSONString(dst, string(id.Status))
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"fields":`...)
	if v.Fields == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range v.Fields {
			f := &v.Fields[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"name":`...)
			dst = appendJSONString(dst, f.Name)
			dst = append(dst, `,"value":`...)
			dst = appendJSONString(dst, f.Value)
			dst = append(dst, `,"record":`...)
			dst = appendJSONString(dst, f.Record)
			if !f.Seen.IsZero() {
				dst = append(dst, `,"observed":`...)
				if dst, err = appendJSONTime(dst, f.Seen); err != nil {
					return nil, err
				}
			}
			dst = append(dst, `,"records":`...)
			dst = strconv.AppendInt(dst, int64(f.Records), 10)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	for _, t := range []struct {
		key string
		t   time.Time
	}{{`,"first_seen":`, v.FirstSeen}, {`,"last_seen":`, v.LastSeen}} {
		if !t.t.IsZero() {
			dst = append(dst, t.key...)
			if dst, err = appendJSONTime(dst, t.t); err != nil {
				return nil, err
			}
		}
	}
	dst = append(dst, `,"as_of":`...)
	if dst, err = appendJSONTime(dst, v.AsOf); err != nil {
		return nil, err
	}
	dst = append(dst, `,"masked":`...)
	dst = strconv.AppendBool(dst, v.Masked)
	return append(dst, '}'), nil
}

func appendMetrics(dst []byte, m *scv.Metrics) ([]byte, error) {
	var err error
	dst = append(dst, `{"orders":`...)
	dst = strconv.AppendInt(dst, int64(m.Orders), 10)
	if m.Currency != "" {
		dst = append(dst, `,"currency":`...)
		dst = appendJSONString(dst, m.Currency)
	}
	dst = append(dst, `,"spend_fen":`...)
	dst = strconv.AppendInt(dst, m.SpendFen, 10)
	dst = append(dst, `,"aov_fen":`...)
	dst = strconv.AppendInt(dst, m.AOVFen, 10)
	dst = append(dst, `,"clv_fen":`...)
	dst = strconv.AppendInt(dst, m.CLVFen, 10)
	if !m.FirstPurchase.IsZero() {
		dst = append(dst, `,"first_purchase":`...)
		if dst, err = appendJSONTime(dst, m.FirstPurchase); err != nil {
			return nil, err
		}
	}
	if !m.LastPurchase.IsZero() {
		dst = append(dst, `,"last_purchase":`...)
		if dst, err = appendJSONTime(dst, m.LastPurchase); err != nil {
			return nil, err
		}
	}
	dst = append(dst, `,"orders_365d":`...)
	dst = strconv.AppendInt(dst, int64(m.OrdersInWindow), 10)
	dst = append(dst, `,"nps":`...)
	if m.NPS == nil {
		dst = append(dst, "null"...)
	} else {
		dst = strconv.AppendInt(dst, int64(*m.NPS), 10)
	}
	if m.NPSCategory != "" {
		dst = append(dst, `,"nps_category":`...)
		dst = appendJSONString(dst, m.NPSCategory)
	}
	if m.CSAT != nil {
		dst = append(dst, `,"csat":`...)
		dst = strconv.AppendInt(dst, int64(*m.CSAT), 10)
	}
	if m.PreferredChannel != "" {
		dst = append(dst, `,"preferred_channel":`...)
		dst = appendJSONString(dst, string(m.PreferredChannel))
	}
	dst = append(dst, `,"referrals":`...)
	dst = strconv.AppendInt(dst, int64(m.Referrals), 10)
	dst = append(dst, `,"paid_referrals":`...)
	dst = strconv.AppendInt(dst, int64(m.PaidReferrals), 10)
	return append(dst, '}'), nil
}

// appendConsent writes the consent map with its keys sorted, as
// encoding/json does.
func appendConsent(dst []byte, c map[scv.Purpose]bool) []byte {
	if c == nil {
		return append(dst, "null"...)
	}
	var small [8]scv.Purpose
	keys := small[:0]
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, string(k))
		dst = append(dst, ':')
		dst = strconv.AppendBool(dst, c[k])
	}
	return append(dst, '}')
}

func appendStrings(dst []byte, ss []string) []byte {
	if ss == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, s)
	}
	return append(dst, ']')
}

// appendJSONTime writes t as time.Time.MarshalJSON does: RFC 3339 with
// nanoseconds, quoted. A time it might refuse (a year outside 0 to 9999,
// an offset not in whole minutes or of a day or more) goes through
// MarshalJSON itself.
func appendJSONTime(dst []byte, t time.Time) ([]byte, error) {
	_, off := t.Zone()
	if y := t.Year(); y < 0 || y > 9999 || off%60 != 0 || off <= -24*3600 || off >= 24*3600 {
		b, err := t.MarshalJSON()
		if err != nil {
			return nil, err
		}
		return append(dst, b...), nil
	}
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"'), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s quoted as encoding/json does without HTML
// escaping: \" \\ \b \f \n \r \t, \u00XX for the other control
// characters, U+FFFD for invalid UTF-8, and \u2028 \u2029.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
