package identity

import (
	"fmt"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestNormaliseName(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		reason         Reason
	}{
		{"trimmed and inner white space collapsed", "  王  芳 ", "王 芳", ""},
		{"full-width Latin folds (NFKC)", "Ｗａｎｇ　Ｆａｎｇ", "Wang Fang", ""},
		{"an ideographic space is white space", "王芳\u3000", "王芳", ""},
		{"control and zero-width characters are dropped", "王\u200b芳\x07", "王芳", ""},
		{"a name with a middle dot is a name", "阿依古丽·买买提", "阿依古丽·买买提", ""},
		{"empty is nothing, without a warning", "  ", "", ""},
		{"微信用户 is WeChat's placeholder", "微信用户", "", ReasonPlaceholderName},
		{"先生 alone", "先生", "", ReasonPlaceholderName},
		{"女士 alone", "女士", "", ReasonPlaceholderName},
		{"小姐 alone", "小姐", "", ReasonPlaceholderName},
		{"顾客", "顾客", "", ReasonPlaceholderName},
		{"客户", "客户", "", ReasonPlaceholderName},
		{"会员", "会员", "", ReasonPlaceholderName},
		{"匿名", "匿名", "", ReasonPlaceholderName},
		{"无", "无", "", ReasonPlaceholderName},
		{"a dash", "-", "", ReasonPlaceholderName},
		{"test in any case", "TEST", "", ReasonPlaceholderName},
		{"test with a suffix", "test01", "", ReasonPlaceholderName},
		{"测试", "测试", "", ReasonPlaceholderName},
		{"测试 with a suffix", "测试用户", "", ReasonPlaceholderName},
		{"surname and 先生 says only Mr Wang", "王先生", "", ReasonPlaceholderName},
		{"double surname and 女士", "欧阳女士", "", ReasonPlaceholderName},
		{"surname and 小姐", "黄小姐", "", ReasonPlaceholderName},
		{"a full name ending in 先生-like text is still a name when longer", "王大明先生", "王大明先生", ""},
		{"a phone typed into the name field has no letter", "13912345678", "", ReasonInvalidValue},
		{"punctuation only", "？？", "", ReasonPlaceholderName},
		{"Latin names keep their case", "elle lee", "elle lee", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := normaliseName(tc.in)
			if got != tc.want || reason != tc.reason {
				t.Errorf("normaliseName(%q) = %q, %q; want %q, %q", tc.in, got, reason, tc.want, tc.reason)
			}
		})
	}
}

func TestNormaliseNickname(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		reason         Reason
	}{
		{"a chosen nickname", " 芳芳Fiona ", "芳芳Fiona", ""},
		{"微信用户", "微信用户", "", ReasonPlaceholderName},
		{"Weibo's generated 用户 and digits", "用户5600000026", "", ReasonPlaceholderName},
		{"用户 followed by letters is chosen", "用户小王", "用户小王", ""},
		{"先生 is a possible nickname", "李先生", "李先生", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := normaliseNickname(tc.in)
			if got != tc.want || reason != tc.reason {
				t.Errorf("normaliseNickname(%q) = %q, %q; want %q, %q", tc.in, got, reason, tc.want, tc.reason)
			}
		})
	}
}

func TestJoinName(t *testing.T) {
	for _, tc := range []struct{ name, given, family, want string }{
		{"Chinese: family first, no space", "小明", "王", "王小明"},
		{"Chinese double surname", "娜", "欧阳", "欧阳娜"},
		{"Latin: given family", "elle", "lee", "elle lee"},
		{"only a family name", "", "王", "王"},
		{"only a given name", "elle", "", "elle"},
		{"neither", " ", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := joinName(tc.given, tc.family); got != tc.want {
				t.Errorf("joinName(%q, %q) = %q, want %q", tc.given, tc.family, got, tc.want)
			}
		})
	}
}

func TestNormaliseEmail(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"trimmed and lower-cased", "  Wang.Fang@Example.COM ", "wang.fang@example.com"},
		{"full-width folds", "ｌｉｎａ＠ｅｘａｍｐｌｅ．ｃｎ", "lina@example.cn"},
		{"plus addressing is kept", "a+shop@example.com", "a+shop@example.com"},
		{"two @ is invalid", "lina@@example.com", ""},
		{"no domain dot is invalid", "lina@example", ""},
		{"no @ is invalid", "lina.example.com", ""},
		{"a display name is not a plain address", "Lina <lina@example.com>", ""},
		{"a trailing dot is invalid", "lina@example.com.", ""},
		{"empty local part is invalid", "@example.com", ""},
		{"spaces inside are invalid", "li na@example.com", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormaliseEmail(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Errorf("NormaliseEmail(%q) = %q, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("NormaliseEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseGender(t *testing.T) {
	for _, tc := range []struct {
		name   string
		table  map[string]Gender
		in     string
		want   Gender
		reason Reason
	}{
		{"WeChat 1 is male", wechatGender, "1", GenderMale, ""},
		{"WeChat 2 is female", wechatGender, "2", GenderFemale, ""},
		{"WeChat 0 is the unknown placeholder", wechatGender, "0", GenderUnknown, ""},
		{"WeChat 3 is not a code", wechatGender, "3", GenderUnknown, ReasonInvalidGender},
		{"Weibo m", weiboGender, "m", GenderMale, ""},
		{"Weibo f", weiboGender, "f", GenderFemale, ""},
		{"Weibo n is unknown", weiboGender, "n", GenderUnknown, ""},
		{"Weibo 1 is not Weibo's code", weiboGender, "1", GenderUnknown, ReasonInvalidGender},
		{"table M", tableGender, "M", GenderMale, ""},
		{"table 女", tableGender, "女", GenderFemale, ""},
		{"table male in any case", tableGender, "Male", GenderMale, ""},
		{"table 2 is female", tableGender, "2", GenderFemale, ""},
		{"table full-width Ｆ", tableGender, "Ｆ", GenderFemale, ""},
		{"table 未知 says unknown", tableGender, "未知", GenderUnknown, ""},
		{"table X is not a code", tableGender, "X", GenderUnknown, ReasonInvalidGender},
		{"empty is unknown without a warning", tableGender, "", GenderUnknown, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := parseGender(tc.in, tc.table)
			if got != tc.want || reason != tc.reason {
				t.Errorf("parseGender(%q) = %q, %q; want %q, %q", tc.in, got, reason, tc.want, tc.reason)
			}
		})
	}
}

func TestNormaliseRegion(t *testing.T) {
	for _, tc := range []struct{ name, province, wantProvince, city, wantCity string }{
		{"省 and 市 are cut", "广东省", "广东", "深圳市", "深圳"},
		{"short forms stay", "广东", "广东", "深圳", "深圳"},
		{"autonomous region", "内蒙古自治区", "内蒙古", "呼和浩特市", "呼和浩特"},
		{"Zhuang autonomous region", "广西壮族自治区", "广西", "南宁市", "南宁"},
		{"Hui autonomous region", "宁夏回族自治区", "宁夏", "银川市", "银川"},
		{"Uyghur autonomous region", "新疆维吾尔自治区", "新疆", "乌鲁木齐市", "乌鲁木齐"},
		{"Tibet", "西藏自治区", "西藏", "拉萨市", "拉萨"},
		{"special administrative region", "香港特别行政区", "香港", "", ""},
		{"municipality", "北京市", "北京", "北京市", "北京"},
		{"黑龙江省 keeps three characters", "黑龙江省", "黑龙江", "哈尔滨市", "哈尔滨"},
		{"a county-level city keeps its two characters", "湖南", "湖南", "津市", "津市"},
		{"地区 is cut", "西藏", "西藏", "阿里地区", "阿里"},
		{"an autonomous prefecture keeps its name", "吉林省", "吉林", "延边朝鲜族自治州", "延边朝鲜族自治州"},
		{"pinyin is only cleaned", " Guangdong ", "Guangdong", "Shenzhen", "Shenzhen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NormaliseProvince(tc.province); got != tc.wantProvince {
				t.Errorf("NormaliseProvince(%q) = %q, want %q", tc.province, got, tc.wantProvince)
			}
			if got := NormaliseCity(tc.city); got != tc.wantCity {
				t.Errorf("NormaliseCity(%q) = %q, want %q", tc.city, got, tc.wantCity)
			}
		})
	}
}

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     place
	}{
		{"province and city", "广东 深圳", place{country: "中国", province: "广东", city: "深圳"}},
		{"long forms", "广东省 深圳市", place{country: "中国", province: "广东", city: "深圳"}},
		{"province only", "浙江", place{country: "中国", province: "浙江"}},
		{"a municipality's district", "北京 朝阳区", place{country: "中国", province: "北京", city: "北京", district: "朝阳区"}},
		{"abroad", "海外 美国", place{country: "美国"}},
		{"abroad, other", "海外 其他", place{}},
		{"other", "其他", place{}},
		{"province, other", "江苏 其他", place{country: "中国", province: "江苏"}},
		{"empty", " ", place{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseLocation(tc.in), cmp.AllowUnexported(place{})); diff != "" {
				t.Errorf("parseLocation(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	want := Date{1978, time.March, 1}
	for _, tc := range []struct {
		name, in string
		want     Date
	}{
		{"ISO", "1978-03-01", want},
		{"ISO without zero padding", "1978-3-1", want},
		{"slashes", "1978/3/1", want},
		{"dots", "1978.03.01", want},
		{"eight digits (FEBRL)", "19780301", want},
		{"Chinese", "1978年3月1日", want},
		{"Chinese, padded, 号", "1978年03月01号", want},
		{"full-width digits", "１９７８－０３－０１", want},
		{"surrounding space", " 1978-03-01 ", want},
		{"leap day in a leap year", "2000-02-29", Date{2000, time.February, 29}},
		{"FEBRL's impossible 19162429", "19162429", Date{}},
		{"February 30", "1978-02-30", Date{}},
		{"leap day in a common year", "1900-02-29", Date{}},
		{"month 13", "1978-13-01", Date{}},
		{"day 0", "1978-03-00", Date{}},
		{"before 1900", "1899-12-31", Date{}},
		{"after 2100", "2101-01-01", Date{}},
		{"two-digit year", "78-03-01", Date{}},
		{"mixed separators", "1978-03/01", Date{}},
		{"seven digits", "1978031", Date{}},
		{"signs are not digits", "1978-+3-01", Date{}},
		{"text", "unknown", Date{}},
		{"empty", "", Date{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDate(tc.in)
			if (err != nil) != tc.want.IsZero() || got != tc.want {
				t.Errorf("ParseDate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if err != nil && err.Error() != "identity: invalid date" {
				t.Errorf("ParseDate(%q) error %q", tc.in, err)
			}
		})
	}
}

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     int64
		wantErr  error
	}{
		{"two decimals", "199.00", 19900, nil},
		{"one decimal", "99.9", 9990, nil},
		{"whole yuan", "128", 12800, nil},
		{"tenths exactly", "0.1", 10, nil},
		{"no leading digit", ".5", 50, nil},
		{"trailing zero decimals are exact", "1.2300", 123, nil},
		{"yen sign", "¥1,299.50", 129950, nil},
		{"full-width digits and sign", "￥１２８．００", 12800, nil},
		{"thousands separators", "1,234,567.89", 123456789, nil},
		{"zero", "0.00", 0, nil},
		{"three decimals", "12.345", 0, errAmountDecimals},
		{"negative", "-5.00", 0, errAmountNegative},
		{"letters", "abc", 0, errAmountSyntax},
		{"empty", "", 0, errAmountSyntax},
		{"a lone dot", ".", 0, errAmountSyntax},
		{"bad grouping", "12,34.00", 0, errAmountSyntax},
		{"float notation", "1e3", 0, errAmountSyntax},
		{"two dots", "1.2.3", 0, errAmountSyntax},
		{"too large", "99999999999999999", 0, errAmountRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAmount(tc.in)
			if got != tc.want || err != tc.wantErr {
				t.Errorf("ParseAmount(%q) = %d, %v; want %d, %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
	// The sum the issue names: 0.1 + 0.2 yuan is exactly 30 fen.
	a, _ := ParseAmount("0.1")
	b, _ := ParseAmount("0.2")
	if a+b != 30 {
		t.Errorf("0.1 + 0.2 yuan = %d fen, want 30", a+b)
	}
	if got, err := parseFen("-299.00", true); got != 29900 || err != nil {
		t.Errorf("parseFen(-299.00, refund) = %d, %v; want 29900", got, err)
	}
}

func TestParseTimes(t *testing.T) {
	loc := chinaTime
	want := time.Date(2026, 6, 18, 0, 6, 0, 0, loc)
	for _, tc := range []struct {
		name, in string
		want     time.Time
	}{
		{"local with seconds", "2026-06-18 00:06:00", want},
		{"local with T", "2026-06-18T00:06:00", want},
		{"slashes, unpadded", "2026/6/18 0:06:00", want},
		{"minutes only", "2026-06-18 00:06", want},
		{"RFC 3339 in UTC is moved to the zone", "2026-06-17T16:06:00Z", want},
		{"RFC 3339 with offset", "2026-06-18T00:06:00+08:00", want},
		{"date only is midnight", "2026-06-18", time.Date(2026, 6, 18, 0, 0, 0, 0, loc)},
		{"impossible month", "2026-13-45 25:00:00", time.Time{}},
		{"text", "yesterday", time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLocalTime(tc.in, loc)
			if (err != nil) != tc.want.IsZero() || !got.Equal(tc.want) {
				t.Errorf("parseLocalTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if err == nil && got.Location() != loc {
				t.Errorf("parseLocalTime(%q) is in %v, want %v", tc.in, got.Location(), loc)
			}
		})
	}
	if got, err := parseUnix("1767225600", loc); err != nil || !got.Equal(time.Date(2026, 1, 1, 8, 0, 0, 0, loc)) {
		t.Errorf("parseUnix = %v, %v", got, err)
	}
	for _, bad := range []string{"0", "-1", "1.5e9", "99999999999", "x"} {
		if _, err := parseUnix(bad, loc); err == nil {
			t.Errorf("parseUnix(%q) succeeded, want invalid_time", bad)
		}
	}
}

func TestParseBoolAndScore(t *testing.T) {
	for in, want := range map[string]bool{"yes": true, "Y": true, "TRUE": true, "1": true, "是": true, "no": false, "n": false, "false": false, "0": false, "否": false} {
		if got, ok := parseBool(in); !ok || got != want {
			t.Errorf("parseBool(%q) = %t, %t; want %t", in, got, ok, want)
		}
	}
	for _, bad := range []string{"maybe", "", "2", "同意?"} {
		if _, ok := parseBool(bad); ok {
			t.Errorf("parseBool(%q) ok, want not", bad)
		}
	}
	for _, tc := range []struct {
		in     string
		lo, hi int
		want   int
		ok     bool
	}{
		{"0", 0, 10, 0, true}, {"10", 0, 10, 10, true}, {"11", 0, 10, 0, false}, {"-1", 0, 10, 0, false},
		{"1", 1, 5, 1, true}, {"0", 1, 5, 0, false}, {"4.5", 1, 5, 0, false}, {"９", 0, 10, 9, true},
	} {
		if got, ok := parseScore(tc.in, tc.lo, tc.hi); got != tc.want || ok != tc.ok {
			t.Errorf("parseScore(%q, %d, %d) = %d, %t; want %d, %t", tc.in, tc.lo, tc.hi, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzParseDate checks that every accepted date is a real calendar date
// whose String parses back to it.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"1978-03-01", "1978/3/1", "19780301", "1978年3月1日", "1978.03.01", "19162429", "2000-02-29", "１９７８－０３－０１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		tm := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
		if tm.Year() != d.Year || tm.Month() != d.Month || tm.Day() != d.Day {
			t.Fatalf("ParseDate(%q) = %v, not a calendar date", s, d)
		}
		back, err := ParseDate(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseDate(%q) = %v, whose String %q parses to %v, %v", s, d, d.String(), back, err)
		}
	})
}

// FuzzParseAmount checks that accepted amounts are within range and that
// formatting the fen as yuan parses back to the same fen.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"199.00", "0.1", "¥1,299.50", "12.345", "-5", "1e3", "１２８", ".5", "1.2300"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := ParseAmount(s)
		if err != nil {
			if fen != 0 {
				t.Fatalf("ParseAmount(%q) = %d with error %v", s, fen, err)
			}
			return
		}
		if fen < 0 || fen > maxFen {
			t.Fatalf("ParseAmount(%q) = %d, out of range", s, fen)
		}
		yuan := fmt.Sprintf("%d.%02d", fen/100, fen%100)
		if back, err := ParseAmount(yuan); err != nil || back != fen {
			t.Fatalf("ParseAmount(%q) = %d; %q parses to %d, %v", s, fen, yuan, back, err)
		}
	})
}

// FuzzNormaliseName checks that cleaning is idempotent: a normalised name
// normalises to itself, is valid UTF-8 and has no surrounding space.
func FuzzNormaliseName(f *testing.F) {
	for _, s := range []string{"王芳", " Ｗａｎｇ　Ｆａｎｇ ", "王先生", "微信用户", "a\u200bb", "\xff王"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, reason := normaliseName(s)
		if n == "" {
			return
		}
		if reason != "" {
			t.Fatalf("normaliseName(%q) = %q with reason %q", s, n, reason)
		}
		if !utf8.ValidString(n) || n != cleanText(n) {
			t.Fatalf("normaliseName(%q) = %q, not clean", s, n)
		}
		if again, r := normaliseName(n); again != n || r != "" {
			t.Fatalf("normaliseName is not idempotent: %q -> %q -> %q (%s)", s, n, again, r)
		}
	})
}
