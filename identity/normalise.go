package identity

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// cleanText drops invalid bytes and control and format characters from s,
// folds it with NFKC (full-width Latin letters, digits and spaces become
// their ASCII forms), trims it and collapses inner runs of white space to one
// space. It is idempotent.
func cleanText(s string) string {
	if s == "" {
		return ""
	}
	// Dropping characters first lets NFKC see the text as it will stay.
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) && !unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	return cleanFreeText(norm.NFKC.String(s))
}

// cleanFreeText trims and collapses white space in free text (a comment, a
// bio, feedback) and drops control characters, but keeps its characters as
// written: NFKC would turn Chinese full-width punctuation into ASCII.
func cleanFreeText(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r), r == utf8.RuneError:
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isClean reports whether cleanFreeText would return s unchanged: printable
// ASCII with single inner spaces, or any text without white space, control
// characters or invalid bytes at all. It saves an allocation per field.
func isClean(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	prevSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
			continue
		case c < 0x20 || c == 0x7f:
			return false
		case c >= 0x80:
			return false // leave non-ASCII to the full pass
		}
		prevSpace = false
	}
	return true
}

// namePlaceholders are values people and staff type where a name belongs.
// They are compared after cleanText and lower-casing.
var namePlaceholders = map[string]bool{
	"微信用户": true, "先生": true, "女士": true, "小姐": true, "太太": true,
	"顾客": true, "客户": true, "会员": true, "用户": true, "买家": true, "亲": true,
	"匿名": true, "无": true, "空": true, "未知": true, "不详": true, "某某": true,
	"-": true, "--": true, "/": true, ".": true, "?": true, "x": true, "xx": true, "xxx": true,
	"n/a": true, "na": true, "null": true, "none": true, "nil": true, "unknown": true,
	"anonymous": true, "customer": true, "guest": true,
}

// honorifics follow a surname to address someone politely: 王先生 says only
// "a man surnamed Wang", which is not a name and would wrongly link every
// Mr Wang.
var honorifics = []string{"先生", "女士", "小姐", "太太"}

// normaliseName cleans a personal name. It returns "" and a reason when the
// value is a placeholder (微信用户, 先生, 王先生, test, 测试, -) or holds no
// letter at all (a phone number typed into the name field).
func normaliseName(raw string) (string, Reason) {
	s := cleanText(raw)
	if s == "" {
		return "", ""
	}
	lower := strings.ToLower(s)
	if namePlaceholders[lower] || strings.HasPrefix(lower, "test") || strings.HasPrefix(s, "测试") {
		return "", ReasonPlaceholderName
	}
	for _, h := range honorifics {
		if rest, ok := strings.CutSuffix(s, h); ok && rest != "" && utf8.RuneCountInString(rest) <= 2 && allHan(rest) {
			return "", ReasonPlaceholderName
		}
	}
	if !hasLetter(s) {
		if strings.ContainsAny(s, "0123456789") {
			return "", ReasonInvalidValue // a number typed into the name field
		}
		return "", ReasonPlaceholderName // punctuation such as ？？ or ...
	}
	return s, ""
}

// normaliseNickname cleans a social display name. WeChat's 微信用户 and
// Weibo's generated 用户1234567890 are placeholders, not names people chose.
func normaliseNickname(raw string) (string, Reason) {
	s := cleanText(raw)
	if s == "" {
		return "", ""
	}
	if s == "微信用户" || s == "-" || s == "--" {
		return "", ReasonPlaceholderName
	}
	if rest, ok := strings.CutPrefix(s, "用户"); ok && rest != "" && digitsOnly(rest) {
		return "", ReasonPlaceholderName
	}
	return s, ""
}

// joinName builds a full name from its parts: family name first and no
// space for Chinese (王 + 小明 = 王小明), "given family" for Latin names.
func joinName(given, family string) string {
	given, family = cleanText(given), cleanText(family)
	switch {
	case given == "":
		return family
	case family == "":
		return given
	case allHan(family) || allHan(given):
		return family + given
	default:
		return given + " " + family
	}
}

func allHan(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) && r != '·' {
			return false
		}
	}
	return s != ""
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func digitsOnly(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// NormaliseEmail returns the e-mail address s trimmed, folded with NFKC and
// lower-cased, or an error when s is not a plain address (local@domain.tld,
// without a display name). The error does not contain s.
func NormaliseEmail(s string) (string, error) {
	e := strings.ToLower(cleanText(s))
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || len(local) > 64 || len(e) > 254 ||
		!strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.ContainsAny(e, " <>,;\"") {
		return "", errReason(ReasonInvalidEmail)
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", errReason(ReasonInvalidEmail)
	}
	return e, nil
}

// The gender codes of each source, compared after cleanText and
// lower-casing. Values in unknownGender say "unknown" explicitly and are
// dropped without a warning.
var (
	wechatGender = map[string]Gender{"1": GenderMale, "2": GenderFemale, "0": GenderUnknown}
	weiboGender  = map[string]Gender{"m": GenderMale, "f": GenderFemale, "n": GenderUnknown}
	tableGender  = map[string]Gender{
		"m": GenderMale, "male": GenderMale, "男": GenderMale, "1": GenderMale, "先生": GenderMale,
		"f": GenderFemale, "female": GenderFemale, "女": GenderFemale, "2": GenderFemale, "女士": GenderFemale,
		"u": GenderUnknown, "0": GenderUnknown, "unknown": GenderUnknown, "未知": GenderUnknown, "保密": GenderUnknown,
	}
)

// parseGender maps a source's gender code. It returns ReasonInvalidGender
// for a code the table does not know.
func parseGender(raw string, table map[string]Gender) (Gender, Reason) {
	s := strings.ToLower(cleanText(raw))
	if s == "" {
		return GenderUnknown, ""
	}
	g, ok := table[s]
	if !ok {
		return GenderUnknown, ReasonInvalidGender
	}
	return g, ""
}

// provinces maps the official names of China's provincial-level divisions
// to the short forms scv stores.
var provinces = map[string]string{
	"北京市": "北京", "天津市": "天津", "上海市": "上海", "重庆市": "重庆",
	"河北省": "河北", "山西省": "山西", "辽宁省": "辽宁", "吉林省": "吉林", "黑龙江省": "黑龙江",
	"江苏省": "江苏", "浙江省": "浙江", "安徽省": "安徽", "福建省": "福建", "江西省": "江西",
	"山东省": "山东", "河南省": "河南", "湖北省": "湖北", "湖南省": "湖南", "广东省": "广东",
	"海南省": "海南", "四川省": "四川", "贵州省": "贵州", "云南省": "云南", "陕西省": "陕西",
	"甘肃省": "甘肃", "青海省": "青海", "台湾省": "台湾",
	"内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏",
	"宁夏回族自治区": "宁夏", "新疆维吾尔自治区": "新疆",
	"香港特别行政区": "香港", "澳门特别行政区": "澳门",
}

// municipalities are provincial-level cities: their second-level places
// are districts.
var municipalities = map[string]bool{"北京": true, "天津": true, "上海": true, "重庆": true}

// provinceSuffixes are cut from names not in the table, longest first.
var provinceSuffixes = []string{"特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"}

// NormaliseProvince returns the short form of a Chinese province name:
// 广东省 and 广东 both give 广东, 内蒙古自治区 gives 内蒙古, 广西壮族自治区
// gives 广西. Other text (pinyin, a foreign state) is only cleaned.
func NormaliseProvince(s string) string {
	s = cleanText(s)
	if short, ok := provinces[s]; ok {
		return short
	}
	return cutSuffix(s, provinceSuffixes)
}

// citySuffixes are cut from city names, keeping at least two characters so
// that a county-level city such as 津市 keeps its name.
var citySuffixes = []string{"地区", "市"}

// NormaliseCity returns the short form of a Chinese city name: 深圳市 and
// 深圳 both give 深圳. Autonomous prefectures (自治州) and leagues (盟) keep
// their full names.
func NormaliseCity(s string) string {
	return cutSuffix(cleanText(s), citySuffixes)
}

func cutSuffix(s string, suffixes []string) string {
	for _, suf := range suffixes {
		if rest, ok := strings.CutSuffix(s, suf); ok && utf8.RuneCountInString(rest) >= 2 {
			return rest
		}
	}
	return s
}

// place is a location split into its parts.
type place struct{ country, province, city, district string }

// parseLocation reads a Weibo location such as "广东 深圳", "北京 朝阳区",
// "海外 美国" or "其他".
func parseLocation(s string) place {
	parts := strings.Fields(cleanText(s))
	if len(parts) == 0 || parts[0] == "其他" {
		return place{}
	}
	if parts[0] == "海外" {
		if len(parts) > 1 && parts[1] != "其他" {
			return place{country: parts[1]}
		}
		return place{}
	}
	p := place{country: "中国", province: NormaliseProvince(parts[0])}
	if len(parts) > 1 && parts[1] != "其他" {
		if municipalities[p.province] {
			p.city, p.district = p.province, parts[1]
		} else {
			p.city = NormaliseCity(parts[1])
		}
	}
	return p
}
