package identity

import (
	"errors"
	"strings"
	"time"
)

// reasonError is an error that is only a reason; its text never holds the
// value that caused it.
type reasonError Reason

func errReason(r Reason) error { return reasonError(r) }

func (e reasonError) Error() string {
	return "identity: " + strings.ReplaceAll(string(e), "_", " ")
}

// ParseDate parses a calendar date as Chinese sources write it:
// 1978-03-01, 1978-3-1, 1978/3/1, 1978.03.01, 19780301 and 1978年3月1日
// (full-width digits too). It refuses impossible dates such as 1916-24-29
// or 1978-02-30, and years outside 1900-2100. It parses the output of
// [Date.String]. The error does not contain s.
func ParseDate(s string) (Date, error) {
	s = cleanText(s)
	var parts []string
	switch {
	case len(s) == 8 && digitsOnly(s):
		parts = []string{s[:4], s[4:6], s[6:]}
	case strings.Contains(s, "年"):
		rest, ok := strings.CutSuffix(s, "日")
		if !ok {
			rest, _ = strings.CutSuffix(s, "号")
		}
		y, md, ok1 := strings.Cut(rest, "年")
		m, d, ok2 := strings.Cut(md, "月")
		if !ok1 || !ok2 {
			return Date{}, errReason(ReasonInvalidDate)
		}
		parts = []string{strings.TrimSpace(y), strings.TrimSpace(m), strings.TrimSpace(d)}
	default:
		for _, sep := range []string{"-", "/", "."} {
			if strings.Count(s, sep) == 2 {
				parts = strings.Split(s, sep)
				break
			}
		}
	}
	if len(parts) != 3 || len(parts[0]) != 4 || len(parts[1]) > 2 || len(parts[2]) > 2 {
		return Date{}, errReason(ReasonInvalidDate)
	}
	var n [3]int
	for i, p := range parts {
		if !digitsOnly(p) {
			return Date{}, errReason(ReasonInvalidDate)
		}
		for _, c := range p {
			n[i] = n[i]*10 + int(c-'0')
		}
	}
	y, m, d := n[0], time.Month(n[1]), n[2]
	if y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 {
		return Date{}, errReason(ReasonInvalidDate)
	}
	if t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); t.Month() != m || t.Day() != d {
		return Date{}, errReason(ReasonInvalidDate) // 1978-02-30
	}
	return Date{Year: y, Month: m, Day: d}, nil
}

// The ways an amount can be wrong. Their texts carry no part of the value.
var (
	errAmountSyntax   = errors.New("not a decimal amount")
	errAmountDecimals = errors.New("more than 2 decimal places")
	errAmountNegative = errors.New("negative amount")
	errAmountRange    = errors.New("amount too large")
)

// maxFen bounds amounts: 10^15 fen is ten trillion yuan, far above any
// order and far below the int64 limit.
const maxFen = 1_000_000_000_000_000

// ParseAmount converts an amount in yuan, such as "199.00", "0.1", "¥1,299.5"
// or "１２８" (full-width), to integer fen, exactly: it parses decimal
// digits, never a float, so 0.1 + 0.2 is 30 fen. It refuses negative
// amounts, more than two decimal places, and malformed thousands
// separators. The error does not contain s.
func ParseAmount(s string) (int64, error) {
	fen, err := parseFen(s, false)
	return fen, err
}

// parseFen is ParseAmount; with allowNegative a leading minus is accepted
// and dropped (tills print refunds as negative amounts).
func parseFen(s string, allowNegative bool) (int64, error) {
	s = cleanText(s)
	s = strings.TrimPrefix(s, "¥")
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		if !allowNegative {
			return 0, errAmountNegative
		}
		s = rest
	}
	s = strings.TrimPrefix(s, "+")
	whole, frac, hasDot := strings.Cut(s, ".")
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return 0, errAmountSyntax
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, errAmountSyntax
			}
		}
		whole = strings.Join(groups, "")
	}
	if whole == "" && frac == "" || whole != "" && !digitsOnly(whole) || frac != "" && !digitsOnly(frac) || hasDot && frac == "" && whole == "" {
		return 0, errAmountSyntax
	}
	if len(frac) > 2 {
		if strings.Trim(frac[2:], "0") != "" {
			return 0, errAmountDecimals
		}
		frac = frac[:2]
	}
	if len(whole) > 16 {
		return 0, errAmountRange
	}
	var fen int64
	for _, c := range whole {
		fen = fen*10 + int64(c-'0')
	}
	frac += "00"[len(frac):]
	fen = fen*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	if fen > maxFen {
		return 0, errAmountRange
	}
	return fen, nil
}

// localLayouts are the timestamp forms sources write without a zone.
var localLayouts = []string{
	"2006-1-2 15:04:05", "2006-1-2T15:04:05", "2006/1/2 15:04:05",
	"2006-1-2 15:04", "2006/1/2 15:04", "2006-1-2", "2006/1/2",
}

// parseLocalTime parses a timestamp as RFC 3339, or in one of the local
// forms (2006-01-02 15:04:05, 2006/1/2 15:04, 2006-01-02) in loc. The
// result is in loc.
func parseLocalTime(s string, loc *time.Location) (time.Time, error) {
	s = cleanText(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.In(loc), nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errReason(ReasonInvalidTime)
}

// unixBounds are the sane range of unix-second timestamps: 2000-01-01 to
// 2100-01-01. WeChat started in 2011.
const (
	minUnix = 946684800
	maxUnix = 4102444800
)

// parseUnix parses whole unix seconds, as WeChat writes subscribe_time.
func parseUnix(s string, loc *time.Location) (time.Time, error) {
	n, ok := parseInt(cleanText(s))
	if !ok || n < minUnix || n >= maxUnix {
		return time.Time{}, errReason(ReasonInvalidTime)
	}
	return time.Unix(n, 0).In(loc), nil
}

// parseBool reads a yes/no value: yes, no, y, n, true, false, 1, 0, 是, 否.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(cleanText(s)) {
	case "yes", "y", "true", "1", "是":
		return true, true
	case "no", "n", "false", "0", "否":
		return false, true
	}
	return false, false
}

// parseScore reads a whole-number score within [lo, hi].
func parseScore(s string, lo, hi int) (int, bool) {
	n, ok := parseInt(cleanText(s))
	if !ok || n < int64(lo) || n > int64(hi) {
		return 0, false
	}
	return int(n), true
}
