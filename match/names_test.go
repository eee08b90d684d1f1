package match

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// nameCases are real spellings of one person and of different people,
// each with the reason for its agreement.
var nameCases = []struct {
	a, b   string
	want   Agreement
	reason string
}{
	{"王芳", "王芳", Exact, "equal as given"},
	{"王芳", "王 芳", Same, "a space between surname and given name"},
	{"王芳", "ＷＡＮＧ ＦＡＮＧ", Same, "full-width pinyin of the Han name"},
	{"王芳", "Wang Fang", Same, "pinyin, surname first"},
	{"王芳", "wang fang", Same, "pinyin in lower case"},
	{"王芳", "Fang Wang", Same, "pinyin, Western order"},
	{"Wang Fang", "Fang Wang", Same, "word order"},
	{"ＷＡＮＧ ＦＡＮＧ", "wang fang", Same, "width and case"},
	{"陳芳", "陈芳", Same, "traditional and simplified surname"},
	{"張偉", "张伟", Same, "traditional and simplified name"},
	{"欧阳娜娜", "Ouyang Nana", Same, "compound surname in pinyin"},
	{"单雄信", "Shan Xiongxin", Same, "单 reads Shan as a surname"},
	{"王女士", "王芳", Compatible, "an honorific and a full name of that surname"},
	{"王先生", "王建国", Compatible, "an honorific and a full name of that surname"},
	{"王小姐", "王芳", Compatible, "an honorific and a full name of that surname"},
	{"Mr Wang", "王芳", Compatible, "a Latin honorific and the pinyin of the surname"},
	{"Ms. Wang", "王芳", Compatible, "a Latin honorific with a dot"},
	{"王**", "王芳", Compatible, "a masked receiver name"},
	{"老王", "王建国", Compatible, "老 and a surname"},
	{"欧阳女士", "欧阳娜娜", Compatible, "an honorific after a compound surname"},
	{"王女士", "王小姐", Compatible, "two honorifics of one gender and surname"},
	{"王女士", "李芳", Different, "an honorific of another surname"},
	{"王先生", "王女士", Different, "honorifics of two genders"},
	{"Mr Wang", "Ms Wang", Different, "Latin honorifics of two genders"},
	{"王芳", "王方", Close, "homophone typo in the given name (fang)"},
	{"王芳", "王芬", Close, "look-alike typo: the same radical and strokes"},
	{"王芳", "汪芳", Close, "homophone surname typo (wang)"},
	{"王建国", "王建军", Close, "one character of a two-character given name"},
	{"王建国", "王国建", Close, "two given-name characters swapped"},
	{"王晓明", "王小明", Close, "homophone (xiao)"},
	{"王芳", "李芳", Different, "the surname differs"},
	{"王芳", "王伟", Different, "a one-character given name that differs in sound and glyph"},
	{"王伟", "王建国", Different, "two different given names"},
	{"王芳", "王建国", Different, "two different given names"},
	{"欧阳娜娜", "欧阳丽丽", Different, "both given-name characters differ"},
	{"微信用户", "王芳", Unknown, "a platform placeholder says nothing"},
	{"微信用户", "微信用户", Unknown, "two placeholders say nothing"},
	{"用户5678901234", "王芳", Unknown, "Weibo's default name"},
	{"未知", "王芳", Unknown, "unknown"},
	{"先生", "王芳", Unknown, "an honorific alone"},
	{"unknown", "John Smith", Unknown, "a Latin placeholder"},
	{"", "王芳", Unknown, "empty"},
	{"katherine", "catherine", Close, "FEBRL: first letter replaced"},
	{"jon smith", "john smith", Close, "FEBRL: a letter dropped"},
	{"john smith", "john smyth", Close, "FEBRL: a letter replaced"},
	{"smith john", "john smith", Same, "word order"},
	{"john", "john smith", Compatible, "words among the other's"},
	{"j smith", "john smith", Compatible, "an initial"},
	{"michael smith", "robert jones", Different, "nothing in common"},
	{"john smith", "jane smith", Different, "another given name"},
	{"nnah harrs", "noah harris", Close, "FEBRL heavy: a typo in each word, no word equal"},
	{"ydan lee", "ryan lee", Close, "FEBRL heavy: one word equal, the other a typo Jaro-Winkler misses"},
	{"rlyan ee", "ryan lee", Close, "FEBRL heavy: a letter typed into the wrong word"},
	{"dayns ryan", "ryan davis", Close, "FEBRL heavy: swapped words with two edits in one"},
	{"wang ying", "wang li", Different, "one word equal, the other unlike"},
	{"zhang wei", "zhang hui", Different, "one word equal, a short other word"},
	{"mary jones", "maria lopez", Different, "alike given names, another surname"},
	{"wangfang", "Wang Fang", Close, "the same letters spaced differently"},
	{"Wang Jian Guo", "王建国", Close, "pinyin spaced by syllable"},
}

func TestNames(t *testing.T) {
	for _, tc := range nameCases {
		t.Run(tc.a+"|"+tc.b, func(t *testing.T) {
			if diff := cmp.Diff(tc.want.String(), Names(tc.a, tc.b).String()); diff != "" {
				t.Errorf("Names(%q, %q): %s (-want +got):\n%s", tc.a, tc.b, tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.String(), Names(tc.b, tc.a).String()); diff != "" {
				t.Errorf("Names(%q, %q) (swapped): %s (-want +got):\n%s", tc.b, tc.a, tc.reason, diff)
			}
			if tc.want >= Same {
				if ka, kb := NameKey(tc.a), NameKey(tc.b); ka != kb {
					t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q; want equal keys for %v names", tc.a, ka, tc.b, kb, tc.want)
				}
			}
		})
	}
}

func TestNameKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"王芳", "fang wang"},
		{"Fang Wang", "fang wang"},
		{"陳芳", "chen fang"},
		{"欧阳娜娜", "nana ouyang"},
		{"王女士", "wang *"},
		{"微信用户", ""},
		{"", ""},
		{"John  SMITH", "john smith"},
	} {
		if diff := cmp.Diff(tc.want, NameKey(tc.in)); diff != "" {
			t.Errorf("NameKey(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestSurname(t *testing.T) {
	for _, tc := range []struct{ in, want, reason string }{
		{"王芳", "王", "the first character"},
		{"陳芳", "陈", "simplified"},
		{"欧阳娜娜", "欧阳", "a compound surname"},
		{"司马光", "司马", "a compound surname"},
		{"诸葛亮", "诸葛", "a compound surname"},
		{"王女士", "王", "an honorific"},
		{"欧阳女士", "欧阳", "an honorific after a compound surname"},
		{"王**", "王", "masked"},
		{"Wang Fang", "wang", "a Chinese surname first"},
		{"John Smith", "smith", "a Western name, surname last"},
		{"Mr Wang", "wang", "a Latin honorific"},
		{"微信用户", "", "a placeholder"},
		{"John", "", "one Latin word"},
	} {
		if diff := cmp.Diff(tc.want, Surname(tc.in)); diff != "" {
			t.Errorf("Surname(%q), %s (-want +got):\n%s", tc.in, tc.reason, diff)
		}
	}
}

func TestPlaceholder(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"微信用户", true}, {"微信用户8848", true}, {"未知", true}, {"匿名", true}, {"客户", true},
		{"顾客", true}, {"先生", true}, {"女士", true}, {"unknown", true}, {"Test", true},
		{"N/A", true}, {"Dr", true}, {"Prof.", true}, {"", true}, {"  ", true}, {"***", true}, {"123456", true}, {"某先生", true},
		{"王芳", false}, {"王女士", false}, {"Wang Fang", false}, {"Mr Wang", false}, {"王**", false},
	} {
		if diff := cmp.Diff(tc.want, Placeholder(tc.in)); diff != "" {
			t.Errorf("Placeholder(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}
