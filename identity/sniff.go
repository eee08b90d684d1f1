package identity

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Sniff guesses the format of an input from its first bytes (a few KiB
// are enough): JSON whose objects carry a Taobao tid or a JD orderId is
// e-commerce, an idstr or screen_name Weibo, an openid or unionid WeChat;
// text whose first line names the POS columns is pos, and any other text
// with commas or a field name in its first line is csv (which may need a
// mapping). ok is false when head fits none of them.
func Sniff(head []byte) (f Format, ok bool) {
	head = bytes.TrimPrefix(head, utf8BOM)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return "", false
	}
	if trimmed[0] == '[' || trimmed[0] == '{' {
		for _, k := range []struct {
			keys []string
			f    Format
		}{
			{[]string{`"tid"`, `"orderId"`}, FormatEcommerce},
			{[]string{`"idstr"`, `"screen_name"`}, FormatWeibo},
			{[]string{`"openid"`, `"unionid"`}, FormatWeChat},
		} {
			for _, key := range k.keys {
				if bytes.Contains(trimmed, []byte(key)) {
					return k.f, true
				}
			}
		}
		return "", false
	}
	line, _, _ := bytes.Cut(trimmed, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if !utf8.Valid(line) || bytes.ContainsFunc(line, func(r rune) bool { return r < ' ' && r != '\t' }) {
		return "", false
	}
	fields, _, err := parseCSVRecord(line, nil, nil)
	if err != nil {
		return "", false
	}
	names := map[string]bool{}
	for _, f := range fields {
		names[strings.ToLower(strings.TrimSpace(f))] = true
	}
	pos := true
	for _, f := range posRequired {
		pos = pos && names[f]
	}
	if pos {
		return FormatPOS, true
	}
	if len(fields) > 1 {
		return FormatCSV, true
	}
	for _, f := range CSVFields {
		if names[f] {
			return FormatCSV, true
		}
	}
	return "", false
}
