package workload

import (
	"strings"
	"unicode/utf8"
)

// Name spellings of a trap workload: one person written every way the
// channels write them.

// The spellings of a name; 0 is the person's usual one.
const (
	spellCanonical     = iota // 王芳
	spellNameSpaced           // 王 芳
	spellPinyin               // Wang Fang
	spellPinyinGiven          // Fang Wang, given name first
	spellHonorific            // 王女士, 王先生
	spellHomophone            // 王方: a given-name character replaced by a homophone
	spellTraditional          // 陳芳 for 陈芳
	spellNameFullWidth        // Ｗａｎｇ Ｆａｎｇ
	numSpellings
)

// pinyin of the surnames and given-name characters of data.go.
var pinyin = map[string]string{
	"王": "Wang", "李": "Li", "张": "Zhang", "刘": "Liu", "陈": "Chen", "杨": "Yang", "黄": "Huang", "赵": "Zhao",
	"吴": "Wu", "周": "Zhou", "徐": "Xu", "孙": "Sun", "马": "Ma", "朱": "Zhu", "胡": "Hu", "郭": "Guo",
	"何": "He", "林": "Lin", "高": "Gao", "罗": "Luo", "郑": "Zheng", "梁": "Liang", "谢": "Xie", "宋": "Song",
	"唐": "Tang", "许": "Xu", "韩": "Han", "冯": "Feng", "邓": "Deng", "曹": "Cao", "彭": "Peng", "曾": "Zeng",
	"肖": "Xiao", "田": "Tian", "董": "Dong", "袁": "Yuan", "潘": "Pan", "于": "Yu", "蒋": "Jiang", "蔡": "Cai",
	"余": "Yu", "杜": "Du", "叶": "Ye", "程": "Cheng", "苏": "Su", "魏": "Wei", "吕": "Lyu", "丁": "Ding",
	"任": "Ren", "沈": "Shen", "姚": "Yao", "卢": "Lu", "姜": "Jiang", "崔": "Cui", "钟": "Zhong", "谭": "Tan",
	"陆": "Lu", "汪": "Wang", "范": "Fan", "金": "Jin", "石": "Shi", "廖": "Liao", "贾": "Jia", "夏": "Xia",
	"韦": "Wei", "付": "Fu", "方": "Fang", "白": "Bai", "邹": "Zou", "孟": "Meng", "熊": "Xiong", "秦": "Qin",
	"邱": "Qiu", "江": "Jiang", "尹": "Yin", "薛": "Xue", "闫": "Yan", "段": "Duan", "雷": "Lei", "侯": "Hou",

	"芳": "fang", "娜": "na", "敏": "min", "静": "jing", "丽": "li", "艳": "yan", "娟": "juan", "霞": "xia",
	"燕": "yan", "玲": "ling", "婷": "ting", "雪": "xue", "琳": "lin", "颖": "ying", "洁": "jie", "倩": "qian",
	"悦": "yue", "欣": "xin", "怡": "yi", "佳": "jia", "琪": "qi", "萍": "ping", "红": "hong", "梅": "mei",
	"莉": "li", "晶": "jing", "璐": "lu", "瑶": "yao", "慧": "hui", "媛": "yuan", "月": "yue", "丹": "dan",
	"雨": "yu", "涵": "han", "蕾": "lei", "薇": "wei", "晴": "qing", "思": "si", "梓": "zi", "诗": "shi",
	"秀": "xiu", "英": "ying", "桂": "gui", "兰": "lan", "凤": "feng", "宁": "ning",
	"伟": "wei", "强": "qiang", "磊": "lei", "军": "jun", "洋": "yang", "勇": "yong", "杰": "jie", "涛": "tao",
	"明": "ming", "超": "chao", "刚": "gang", "平": "ping", "辉": "hui", "鹏": "peng", "华": "hua", "飞": "fei",
	"鑫": "xin", "波": "bo", "斌": "bin", "宇": "yu", "浩": "hao", "凯": "kai", "健": "jian", "俊": "jun",
	"帆": "fan", "旭": "xu", "龙": "long", "峰": "feng", "亮": "liang", "建": "jian", "国": "guo",
	"志": "zhi", "文": "wen", "博": "bo", "晨": "chen", "轩": "xuan", "然": "ran", "子": "zi", "海": "hai",
}

// homophones are characters read like a given-name character, the typos
// a pinyin input method makes.
var homophones = map[string]string{
	"芳": "方", "娜": "纳", "敏": "民", "静": "晶", "丽": "莉", "艳": "燕", "娟": "鹃", "霞": "侠",
	"燕": "艳", "玲": "铃", "婷": "亭", "琳": "林", "颖": "英", "洁": "杰", "倩": "茜", "悦": "月",
	"欣": "心", "怡": "宜", "佳": "家", "琪": "琦", "萍": "平", "红": "虹", "莉": "丽", "晶": "静",
	"璐": "路", "瑶": "遥", "慧": "惠", "媛": "园", "月": "悦", "雨": "宇", "涵": "含", "蕾": "雷",
	"薇": "微", "晴": "清", "思": "丝", "梓": "子", "诗": "师", "英": "莺", "兰": "岚", "宁": "凝",
	"伟": "炜", "磊": "垒", "军": "君", "洋": "阳", "勇": "永", "杰": "洁", "涛": "韬", "明": "铭",
	"超": "潮", "刚": "钢", "平": "萍", "辉": "晖", "鹏": "朋", "华": "桦", "飞": "菲", "鑫": "新",
	"波": "博", "斌": "彬", "宇": "雨", "浩": "皓", "凯": "锴", "健": "建", "俊": "骏", "帆": "凡",
	"旭": "煦", "龙": "隆", "林": "琳", "峰": "锋", "建": "健", "志": "智", "文": "雯", "博": "波",
	"晨": "辰", "轩": "萱", "然": "冉", "子": "梓",
}

// traditional are the traditional forms of the characters that have one.
var traditional = map[string]string{
	"刘": "劉", "张": "張", "陈": "陳", "杨": "楊", "黄": "黃", "赵": "趙", "吴": "吳", "孙": "孫",
	"马": "馬", "郑": "鄭", "罗": "羅", "谢": "謝", "许": "許", "韩": "韓", "冯": "馮", "邓": "鄧",
	"肖": "蕭", "蒋": "蔣", "叶": "葉", "苏": "蘇", "吕": "呂", "卢": "盧", "钟": "鍾", "谭": "譚",
	"陆": "陸", "贾": "賈", "韦": "韋", "邹": "鄒", "闫": "閆",
	"丽": "麗", "艳": "艷", "颖": "穎", "洁": "潔", "悦": "悅", "红": "紅", "瑶": "瑤", "诗": "詩",
	"兰": "蘭", "凤": "鳳", "宁": "寧", "静": "靜", "伟": "偉", "强": "強", "军": "軍", "杰": "傑",
	"涛": "濤", "刚": "剛", "辉": "輝", "鹏": "鵬", "华": "華", "飞": "飛", "凯": "凱", "龙": "龍",
	"国": "國", "轩": "軒",
}

// nameParts returns a person's surname and given-name characters.
func nameParts(p *tPerson) (string, []string) {
	gc := givenFemale
	if !p.female {
		gc = givenMale
	}
	given := []string{gc[p.g1]}
	if p.g2 >= 0 {
		given = append(given, gc[p.g2])
	}
	return surnames[p.sur].name, given
}

// canonicalName returns a person's usual name: 王芳.
func canonicalName(p *tPerson) string { return spellName(p, spellCanonical) }

// spellName returns a person's name in spelling s; a spelling that would
// not change the name (no traditional form, no homophone) falls back to
// the spaced one.
func spellName(p *tPerson, s int) string {
	sur, given := nameParts(p)
	g := strings.Join(given, "")
	switch s {
	case spellNameSpaced:
		return sur + " " + g
	case spellPinyin, spellPinyinGiven, spellNameFullWidth:
		var gp strings.Builder
		for k, c := range given {
			py := pinyin[c]
			if k == 0 {
				py = strings.ToUpper(py[:1]) + py[1:]
			}
			gp.WriteString(py)
		}
		switch s {
		case spellPinyin:
			return pinyin[sur] + " " + gp.String()
		case spellPinyinGiven:
			return gp.String() + " " + pinyin[sur]
		}
		return fullWidth(pinyin[sur] + " " + gp.String())
	case spellHonorific:
		if p.female {
			return sur + "女士"
		}
		return sur + "先生"
	case spellHomophone:
		k := len(given) - 1
		if h, ok := homophones[given[k]]; ok {
			given[k] = h
			return sur + strings.Join(given, "")
		}
		return sur + " " + g
	case spellTraditional:
		out, changed := traditional[sur], true
		if out == "" {
			out, changed = sur, false
		}
		for _, c := range given {
			if t, ok := traditional[c]; ok {
				out, changed = out+t, true
			} else {
				out += c
			}
		}
		if changed {
			return out
		}
		return sur + " " + g
	}
	return sur + g
}

// fullWidth turns ASCII letters and the space into their full-width forms.
func fullWidth(s string) string {
	b := make([]byte, 0, 3*len(s))
	for _, c := range s {
		switch {
		case c == ' ':
			c = '\u3000'
		case c > ' ' && c < 0x7f:
			c += 0xfee0
		}
		b = utf8.AppendRune(b, c)
	}
	return string(b)
}
