package match

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/scv-go/scv/identity"
)

// Name is a person's name parsed once for comparison: folded, simplified,
// split into surname and given name, with its honorific and placeholder
// status. Callers that compare one name with many parse it once with
// [ParseName] and call [Name.Compare]. The zero Name is a placeholder. A
// Name is a value, safe for concurrent use.
type Name struct {
	raw  string
	norm string // han: simplified characters, no spaces; latin: lower-case words joined by one space
	kind nameKind
	// sn is the length in bytes of the surname at the start of norm (han
	// names only).
	sn int
	// partial says that only the surname is known: an honorific form
	// (王女士, Mr Wang), a masked name (王**) or a surname alone.
	partial bool
	// gender is the gender an honorific implies.
	gender identity.Gender
}

type nameKind uint8

const (
	kindNone  nameKind = iota // empty or a placeholder
	kindHan                   // Han characters only
	kindLatin                 // Latin letters; Han characters among them read as pinyin
)

// hanHonorifics are the honorifics that follow a surname, longest first,
// with the gender they imply.
var hanHonorifics = []struct {
	suffix string
	gender identity.Gender
}{
	{"女士", identity.GenderFemale}, {"小姐", identity.GenderFemale}, {"太太", identity.GenderFemale},
	{"夫人", identity.GenderFemale}, {"阿姨", identity.GenderFemale}, {"先生", identity.GenderMale},
	{"叔叔", identity.GenderMale}, {"老师", ""}, {"经理", ""}, {"老板", ""}, {"师傅", ""},
	{"姐", identity.GenderFemale}, {"哥", identity.GenderMale}, {"总", ""},
}

// latinHonorifics are the honorifics that precede a name, with the gender
// they imply.
var latinHonorifics = map[string]identity.Gender{
	"mr": identity.GenderMale, "mister": identity.GenderMale, "sir": identity.GenderMale,
	"mrs": identity.GenderFemale, "ms": identity.GenderFemale, "miss": identity.GenderFemale,
	"madam": identity.GenderFemale, "mdm": identity.GenderFemale, "madame": identity.GenderFemale,
	"mx": "", "dr": "", "prof": "",
}

// hanPlaceholders and latinPlaceholders are the names that say nothing of
// a person, normalised (digits are dropped, so 微信用户123 is 微信用户).
var (
	hanPlaceholders = setOf(`微信用户 微博用户 手机用户 淘宝用户 用户 新用户 未知 不详 匿名 无名 无名氏
		佚名 客户 顾客 客人 游客 访客 会员 买家 卖家 收货人 收件人 联系人 本人 先生 女士 小姐 太太
		测试 测试用户 无 空 暂无 没有 默认 姓名 名字 某某 某 亲 宝贝 粉丝 朋友 同学 老板 老师 师傅 美女
		帅哥 阿姨 叔叔 某先生 某女士 某小姐`)
	latinPlaceholders = setOf(`unknown unk test testing tester na none null nil nobody anonymous anon
		guest customer client user member buyer wechat weixin wechatuser xxx xx x abc asdf qwe qwer
		noname name demo sample default tb mr mrs ms miss sir madam unnamed`)
	latinPlaceholderPhrases = setOf(`wechat_user weixin_user no_name n_a not_available not_provided test_user`)
)

func setOf(s string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Fields(s) {
		m[strings.ReplaceAll(f, "_", " ")] = true
	}
	return m
}

// ParseName parses a name: width and case folded, traditional characters
// simplified, spaces and punctuation dropped between Han characters,
// honorifics and masks recognised.
func ParseName(s string) Name {
	n := Name{raw: s}
	if fastHan(s) {
		n.norm, n.kind = s, kindHan
		n.splitHan()
		return n
	}
	var buf [48]rune
	rs := buf[:0]
	hasHan, hasLatin, masked := false, false, false
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		switch {
		case unicode.Is(unicode.Han, r):
			rs = append(rs, simplify(r))
			hasHan = true
		case r == 'ü' || r == 'Ü':
			rs = append(rs, 'v')
			hasLatin = true
		case unicode.IsLetter(r):
			rs = append(rs, unicode.ToLower(r))
			hasLatin = true
		case r == '*' || r == '×':
			if !masked {
				rs = append(rs, '*')
			}
			masked = true
		default: // digits, spaces, punctuation: a word boundary
			if len(rs) > 0 && rs[len(rs)-1] != ' ' {
				rs = append(rs, ' ')
			}
		}
	}
	switch {
	case hasHan && !hasLatin:
		var b strings.Builder
		for _, r := range rs {
			if r == '*' {
				break
			}
			if r != ' ' {
				b.WriteRune(r)
			}
		}
		n.norm, n.kind = b.String(), kindHan
		if masked {
			if n.norm == "" {
				return Name{raw: s}
			}
			n.partial = true
		}
		n.splitHan()
	case hasLatin:
		n.parseLatin(rs)
	}
	return n
}

// fastHan reports whether s is already normal: simplified characters of
// the table's block and nothing else.
func fastHan(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < hanFirst || r > hanLast || simplify(r) != r {
			return false
		}
	}
	return true
}

// splitHan finds the surname of a Han name and its honorific, and marks
// placeholders.
func (n *Name) splitHan() {
	count := utf8.RuneCountInString(n.norm)
	if count <= maxPlaceholderRunes && hanPlaceholders[n.norm] {
		*n = Name{raw: n.raw}
		return
	}
	if last, _ := utf8.DecodeLastRuneInString(n.norm); count >= 2 && strings.ContainsRune(honorificEnds, last) {
		for _, h := range hanHonorifics {
			rest, ok := strings.CutSuffix(n.norm, h.suffix)
			if !ok {
				continue
			}
			if utf8.RuneCountInString(rest) == 1 || compoundSurnames[rest] {
				n.partial, n.gender, n.sn = true, h.gender, len(rest)
				return
			}
		}
	}
	if count == 2 && strings.HasPrefix(n.norm, "老") {
		n.partial, n.norm, count = true, n.norm[len("老"):], 1 // 老王: Wang
	}
	first := prefixRunes(n.norm, 1)
	n.sn = len(first)
	if count >= 2 {
		if two := prefixRunes(n.norm, 2); compoundSurnames[two] {
			n.sn = len(two)
		}
	}
	if n.sn == len(n.norm) {
		n.partial = true // a surname alone
	}
	if first == "某" {
		*n = Name{raw: n.raw}
	}
}

// maxPlaceholderRunes is the length of the longest Han placeholder.
const maxPlaceholderRunes = 5

// honorificEnds are the last characters of hanHonorifics.
const honorificEnds = "士姐太人姨生叔师理板傅哥总"

// prefixRunes returns the first k runes of s.
func prefixRunes(s string, k int) string {
	i := 0
	for range k {
		if i >= len(s) {
			break
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

// parseLatin reads the words of a Latin name (Han characters among them
// as pinyin), its honorific, and marks placeholders.
func (n *Name) parseLatin(rs []rune) {
	var words []string
	var w strings.Builder
	inHan := false
	flush := func() {
		if w.Len() > 0 {
			words = append(words, w.String())
			w.Reset()
		}
	}
	for _, r := range rs {
		han := unicode.Is(unicode.Han, r)
		if r == ' ' || han != inHan {
			flush()
		}
		inHan = han
		switch {
		case han:
			w.WriteString(pinyinOf(r))
		case r != ' ' && r != '*':
			w.WriteRune(r)
		}
	}
	flush()
	joined := strings.Join(words, " ")
	if len(words) == 0 || latinPlaceholders[joined] || latinPlaceholderPhrases[joined] ||
		(len(words) == 1 && utf8.RuneCountInString(words[0]) == 1) {
		return
	}
	if g, ok := latinHonorifics[words[0]]; ok {
		words = words[1:]
		switch len(words) {
		case 0:
			return // an honorific alone: Dr
		case 1:
			n.partial = true
		}
		n.gender = g
	}
	n.kind, n.norm = kindLatin, strings.Join(words, " ")
}

// pinyinOf returns the toneless pinyin of a Han character, or the
// character itself when the table has no reading.
func pinyinOf(r rune) string {
	if i := syllable(r); i != 0 {
		return syllables()[i]
	}
	return string(r)
}

// surnamePinyin returns the pinyin of a Han surname, with its surname
// reading (单 is Shan).
func surnamePinyin(s string) string {
	var buf [24]byte
	return string(appendSurnamePinyin(buf[:0], s))
}

// appendSurnamePinyin appends the pinyin of a Han surname to b.
func appendSurnamePinyin(b []byte, s string) []byte {
	if p, ok := compoundReadings[s]; ok {
		return append(b, p...)
	}
	for _, r := range s {
		if p, ok := surnameReadings[r]; ok && len(s) == utf8.RuneLen(r) {
			b = append(b, p...)
			continue
		}
		b = appendPinyin(b, r)
	}
	return b
}

// hanPinyin returns the pinyin of Han characters, run together.
func hanPinyin(s string) string {
	var buf [48]byte
	b := buf[:0]
	for _, r := range s {
		b = appendPinyin(b, r)
	}
	return string(b)
}

// appendPinyin appends the pinyin of a Han character to b, or the
// character itself when the table has no reading.
func appendPinyin(b []byte, r rune) []byte {
	if i := syllable(r); i != 0 {
		return append(b, syllables()[i]...)
	}
	return utf8.AppendRune(b, r)
}

// words returns the name as words: a Han name as the pinyin of its surname
// and of its given name; a Latin name as its words.
func (n Name) words() []string {
	switch n.kind {
	case kindHan:
		out := []string{surnamePinyin(n.norm[:n.sn])}
		if !n.partial && len(n.norm) > n.sn {
			out = append(out, hanPinyin(n.norm[n.sn:]))
		}
		return out
	case kindLatin:
		return strings.Fields(n.norm)
	}
	return nil
}

// String returns the name as it was given to [ParseName].
func (n Name) String() string { return n.raw }

// Placeholder reports whether the name says nothing of a person (see
// [Placeholder]).
func (n Name) Placeholder() bool { return n.kind == kindNone }

// Gender returns the gender the name's honorific implies (女士 female,
// 先生 male); [identity.GenderUnknown] when it has none.
func (n Name) Gender() identity.Gender { return n.gender }

// Partial reports whether only the name's surname is known: an honorific
// form (王女士, Mr Wang), a masked name (王**) or a surname alone.
func (n Name) Partial() bool { return n.partial }

// Key returns the name's canonical key (see [NameKey]).
func (n Name) Key() string {
	switch {
	case n.kind == kindNone:
		return ""
	case n.kind == kindHan:
		var buf, out [64]byte
		b := appendSurnamePinyin(buf[:0], n.norm[:n.sn])
		if n.partial {
			return string(append(b, " *"...))
		}
		split := len(b)
		for _, r := range n.norm[n.sn:] {
			b = appendPinyin(b, r)
		}
		first, second := b[:split], b[split:]
		if string(second) < string(first) {
			first, second = second, first
		}
		o := append(append(append(out[:0], first...), ' '), second...)
		return string(o)
	case n.partial:
		return n.norm + " *"
	}
	w := strings.Fields(n.norm)
	slices.Sort(w)
	return strings.Join(w, " ")
}

// Surname returns the name's surname (see [Surname]).
func (n Name) Surname() string {
	switch n.kind {
	case kindHan:
		return n.norm[:n.sn]
	case kindLatin:
		w := strings.Fields(n.norm)
		switch {
		case n.partial:
			return w[0]
		case len(w) < 2:
			return ""
		case commonSurnamePinyin()[w[0]]:
			return w[0]
		}
		return w[len(w)-1]
	}
	return ""
}

// commonSurnamePinyin holds the pinyin of the hundred commonest Chinese
// surnames, to tell Wang Fang (surname first) from John Smith.
var commonSurnamePinyin = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, r := range "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤" {
		m[surnamePinyin(string(r))] = true
	}
	for s := range compoundSurnames {
		m[surnamePinyin(s)] = true
	}
	return m
})

// NameKey returns a canonical key of a name for blocking and term
// frequencies: names that are [Same] (or [Exact]) have equal keys; "" for
// placeholders. A Han name's key is its pinyin (surname and given name,
// sorted), so homophones such as 王芳 and 汪芳 share a key too; a name of
// which only the surname is known has the key of its surname and " *".
func NameKey(s string) string { return ParseName(s).Key() }

// Surname returns the name's surname in canonical form: simplified Han
// characters for a Han name (compound surnames such as 欧阳, 司马, 诸葛
// included), lower-case Latin for a Latin name (the first word when it is
// a common Chinese surname in pinyin, else the last). It returns "" when
// the surname is unknown: a placeholder, or a single Latin word.
func Surname(s string) string { return ParseName(s).Surname() }

// Placeholder reports whether a name says nothing of a person: empty,
// platform defaults and stand-ins (微信用户, 用户5678, 未知, 匿名, 客户,
// 顾客, "unknown", "test", "n/a"), or an honorific alone (先生, 女士).
func Placeholder(s string) bool { return ParseName(s).Placeholder() }
