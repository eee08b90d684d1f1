package match

import (
	_ "embed"
	"strings"
	"sync"
)

//go:generate go run ./internal/gentables -out tables

// The character tables, written by internal/gentables and read in place:
// two bytes per character of the CJK Unified Ideographs block, U+4E00 to
// U+9FFF. Importing the package costs no start-up work; the syllable
// names are split on first use.
var (
	//go:embed tables/t2s.bin
	t2sTable string // simplified form as an offset from hanFirst; 0xFFFF: unchanged
	//go:embed tables/pinyin.bin
	pinyinTable string // index (from 1) into syllables; 0: none
	//go:embed tables/radical.bin
	radicalTable string // Kangxi radical, then residual strokes
	//go:embed tables/syllables.txt
	syllableText string
)

const (
	hanFirst = 0x4E00
	hanLast  = 0x9FFF
)

// syllables returns the toneless pinyin syllables, indexed from 1.
var syllables = sync.OnceValue(func() []string {
	return append([]string{""}, strings.Fields(syllableText)...)
})

// simplify returns the simplified form of a Han character; r itself when it
// has none in the table.
func simplify(r rune) rune {
	if r < hanFirst || r > hanLast {
		return r
	}
	v := le16(t2sTable, int(r-hanFirst))
	if v == 0xFFFF {
		return r
	}
	return hanFirst + rune(v)
}

// syllable returns the index of r's first toneless pinyin reading; 0 when
// unknown.
func syllable(r rune) uint16 {
	if r < hanFirst || r > hanLast {
		return 0
	}
	return le16(pinyinTable, int(r-hanFirst))
}

// le16 returns the i-th little-endian uint16 of a table.
func le16(t string, i int) uint16 {
	return uint16(t[2*i]) | uint16(t[2*i+1])<<8
}

// radical returns r's Kangxi radical and residual stroke count; 0, 0 when
// unknown.
func radical(r rune) (rad, strokes uint8) {
	if r < hanFirst || r > hanLast {
		return 0, 0
	}
	i := 2 * (r - hanFirst)
	return radicalTable[i], radicalTable[i+1]
}

// surnameReadings are the readings of characters that read otherwise as
// surnames than their first reading in the table: 单 is Shan, 曾 Zeng.
var surnameReadings = map[rune]string{
	'单': "shan", '曾': "zeng", '解': "xie", '仇': "qiu", '区': "ou", '查': "zha",
	'朴': "piao", '盖': "ge", '乐': "yue", '覃': "qin", '翟': "zhai", '秘': "bi",
	'缪': "miao", '种': "chong", '员': "yun", '繁': "po", '召': "shao", '折': "she",
	'薄': "bo", '句': "gou", '隗': "wei", '蕃': "pi",
}

// compoundReadings are the readings of compound surnames whose characters
// read otherwise alone.
var compoundReadings = map[string]string{"尉迟": "yuchi", "万俟": "moqi", "长孙": "zhangsun", "单于": "chanyu"}

// compoundSurnames are the two-character surnames, simplified.
var compoundSurnames = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟
		公羊 赫连 澹台 皇甫 宗政 濮阳 公冶 太叔 申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于
		司空 闾丘 子车 亓官 司寇 巫马 公西 颛孙 壤驷 公良 漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕
		令狐 段干 百里 呼延 东郭 南门 羊舌 微生 梁丘 左丘 西门 第五 单于 即墨 达奚 东里`) {
		compoundSurnames[s] = true
	}
}
