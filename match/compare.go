package match

import (
	"unicode/utf8"
)

// Names compares two names (see [Name.Compare]). Callers that compare one
// name with many parse it once with [ParseName] instead.
func Names(a, b string) Agreement {
	if a == b {
		if Placeholder(a) {
			return Unknown
		}
		return Exact
	}
	return ParseName(a).Compare(ParseName(b))
}

// Compare says how far two names agree:
//
//   - [Unknown] when either is a placeholder;
//   - [Exact] when they are equal as given;
//   - [Different] when honorifics imply different genders (王先生, 王女士);
//   - [Same] when they are equal after folding width and case, spaces,
//     traditional characters and word order, or when a Latin name is the
//     pinyin of a Han one (Wang Fang, 王芳);
//   - [Compatible] when one knows only a surname (王女士, Mr Wang, 王**)
//     and the other has that surname, or when the words of one are among
//     those of the other (John, John Smith), initials included;
//   - [Close] for one typo: Han names of one surname whose given names
//     differ in one character that sounds the same (芳, 方), looks alike
//     (the same radical and stroke count: 芳, 芬), or is one of two or
//     more; two characters swapped or one dropped from a given name of
//     three or more; characters that all sound the same (王, 汪); Latin
//     words a typo apart (Jaro-Winkler 0.88 or more, or one edit in words
//     of 5 letters or more); the same letters spaced differently;
//   - [Different] otherwise: another surname (王芳, 李芳), or a one-character
//     given name that differs in both sound and glyph (王芳, 王伟).
func (n Name) Compare(m Name) Agreement {
	switch {
	case n.kind == kindNone || m.kind == kindNone:
		return Unknown
	case n.raw == m.raw:
		return Exact
	case n.gender != "" && m.gender != "" && n.gender != m.gender:
		return Different
	case n.kind == m.kind && n.norm == m.norm && n.gender == m.gender && n.partial == m.partial:
		return Same
	case n.kind == kindHan && m.kind == kindHan:
		return compareHan(n, m)
	}
	return compareWords(n.words(), n.partial, m.words(), m.partial)
}

// compareHan compares two Han names.
func compareHan(n, m Name) Agreement {
	if n.partial || m.partial {
		if n.norm[:n.sn] != m.norm[:m.sn] {
			return Different
		}
		return Compatible
	}
	var bufA, bufB [16]rune
	a, b := appendRunes(bufA[:0], n.norm), appendRunes(bufB[:0], m.norm)
	if n.norm[:n.sn] != m.norm[:m.sn] {
		if allHomophones(a, b) {
			return Close // 王芳, 汪芳: an input method's slip
		}
		return Different
	}
	sn := utf8.RuneCountInString(n.norm[:n.sn])
	ga, gb := a[sn:], b[sn:]
	if len(ga) == len(gb) {
		var diff [2]int
		d := 0
		for i := range ga {
			if ga[i] != gb[i] {
				if d < 2 {
					diff[d] = i
				}
				d++
			}
		}
		switch {
		case d == 1:
			x, y := ga[diff[0]], gb[diff[0]]
			if len(ga) >= 2 || homophone(x, y) || lookAlike(x, y) {
				return Close
			}
			return Different
		case d == 2 && diff[1] == diff[0]+1 && ga[diff[0]] == gb[diff[1]] && ga[diff[1]] == gb[diff[0]]:
			return Close // 建国, 国建
		case allHomophones(ga, gb):
			return Close
		}
		return Different
	}
	if min(len(ga), len(gb)) >= 2 && oneDeleted(ga, gb) {
		return Close
	}
	return Different
}

// appendRunes appends the runes of s to buf.
func appendRunes(buf []rune, s string) []rune {
	for _, r := range s {
		buf = append(buf, r)
	}
	return buf
}

// homophone reports whether two characters have the same toneless pinyin.
func homophone(x, y rune) bool {
	sx := syllable(x)
	return sx != 0 && sx == syllable(y)
}

// lookAlike reports whether two characters share their radical and their
// residual stroke count (芳 and 芬: 艸 and 4 strokes), the glyph slips of
// handwriting and of stroke input methods.
func lookAlike(x, y rune) bool {
	rx, sx := radical(x)
	ry, sy := radical(y)
	return rx != 0 && rx == ry && sx == sy
}

// allHomophones reports whether a and b are equally long and every
// character of one sounds as the other's.
func allHomophones(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !homophone(a[i], b[i]) {
			return false
		}
	}
	return true
}

// oneDeleted reports whether the longer of a and b is the shorter with one
// character inserted.
func oneDeleted(a, b []rune) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b) != len(a)+1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	for ; i < len(a); i++ {
		if a[i] != b[i+1] {
			return false
		}
	}
	return true
}

// compareWords compares two names as words (Latin, or the pinyin of a Han
// name). A partial name has one word, its surname.
func compareWords(a []string, ap bool, b []string, bp bool) Agreement {
	if len(a) == 0 || len(b) == 0 {
		return Different // a name without words to compare (MX, a character without a reading)
	}
	if ap || bp {
		if ap && bp {
			if a[0] == b[0] {
				return Compatible
			}
			return Different
		}
		s, full := a[0], b
		if bp {
			s, full = b[0], a
		}
		for _, w := range full {
			if w == s {
				return Compatible
			}
		}
		return Different
	}
	if sortedEqual(a, b) {
		return Same
	}
	if concatEqual(a, b) || (len(a) == 2 && concatEqual([]string{a[1], a[0]}, b)) || (len(b) == 2 && concatEqual(a, []string{b[1], b[0]})) {
		return Close // the same letters spaced differently
	}
	var ag Agreement
	switch {
	case len(a) < len(b):
		ag = alignWords(a, b)
	case len(a) > len(b):
		ag = alignWords(b, a)
	default:
		// Equally long: align each way and keep the better, so that
		// the greedy alignment cannot make the comparison asymmetric.
		ag = max(alignWords(a, b), alignWords(b, a))
	}
	if ag == Different && anchoredTypo(a, b) {
		return Close
	}
	return ag
}

// anchoredTypo reports whether two names of two words each are a clerk's
// typos apart: they share one word and their other words are alike
// (Jaro-Winkler 0.8 or more in words of 4 letters or more, or two edits in
// words of 5 or more), or each word of one is one edit from a word of the
// other (nnah harrs, noah harris), a letter typed into the wrong word
// included (rlyan ee, ryan lee).
func anchoredTypo(a, b []string) bool {
	if len(a) != 2 || len(b) != 2 {
		return false
	}
	runes := func(x string, buf *[32]rune) []rune { return appendRunes(buf[:0], x) }
	alike := func(x, y string) bool {
		var bx, by [32]rune
		rx, ry := runes(x, &bx), runes(y, &by)
		n := min(len(rx), len(ry))
		return n >= 4 && jaroWinkler(rx, ry) >= 0.8 || n >= 5 && editDistance(rx, ry) <= 2
	}
	oneEdit := func(x, y string) bool {
		var bx, by [32]rune
		rx, ry := runes(x, &bx), runes(y, &by)
		return min(len(rx), len(ry)) >= 2 && editDistance(rx, ry) <= 1
	}
	for i := range 2 {
		for j := range 2 {
			if a[i] == b[j] && alike(a[1-i], b[1-j]) {
				return true
			}
			if oneEdit(a[i], b[j]) && oneEdit(a[1-i], b[1-j]) {
				return true
			}
		}
	}
	return false
}

// alignWords matches each word of short with a distinct word of long,
// greedily, the best match first: [Different] when a word finds none,
// [Compatible] when long has more words or an initial matched, [Close]
// when a word matched a typo apart.
func alignWords(short, long []string) Agreement {
	var buf [8]bool
	var used []bool
	if len(long) <= len(buf) {
		used = buf[:len(long)]
	} else {
		used = make([]bool, len(long))
	}
	closeWord, initial := false, false
	for _, w := range short {
		best, bi := matchNone, -1
		for j, v := range long {
			if used[j] {
				continue
			}
			if s := wordMatch(w, v); s > best {
				best, bi = s, j
			}
		}
		switch best {
		case matchNone:
			return Different
		case matchClose:
			closeWord = true
		case matchInitial:
			initial = true
		}
		used[bi] = true
	}
	switch {
	case len(short) < len(long) || initial:
		return Compatible
	case closeWord:
		return Close
	}
	return Same
}

// The ways two words match, weakest first.
const (
	matchNone = iota
	matchInitial
	matchClose
	matchEqual
)

// wordMatch says how two words match: equal, a typo apart, or an initial
// and a word that starts with it.
func wordMatch(x, y string) int {
	switch {
	case x == y:
		return matchEqual
	case (len(x) == 1 || len(y) == 1) && x[0] == y[0]:
		return matchInitial
	case closeWords(x, y):
		return matchClose
	}
	return matchNone
}

// closeWords reports whether two Latin words are a typo apart: a
// Jaro-Winkler similarity of 0.88 or more, or one edit (a letter inserted,
// deleted or replaced, or two adjacent ones swapped) in words of 5 letters
// or more.
func closeWords(x, y string) bool {
	var bx, by [32]rune
	a, b := appendRunes(bx[:0], x), appendRunes(by[:0], y)
	if min(len(a), len(b)) < 2 {
		return false
	}
	return jaroWinkler(a, b) >= 0.88 || (min(len(a), len(b)) >= 5 && editDistance1(a, b))
}

// sortedEqual reports whether a and b hold the same words in any order.
func sortedEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	switch len(a) {
	case 1:
		return a[0] == b[0]
	case 2:
		return (a[0] == b[0] && a[1] == b[1]) || (a[0] == b[1] && a[1] == b[0])
	}
	used := make([]bool, len(b))
outer:
	for _, w := range a {
		for j, v := range b {
			if !used[j] && v == w {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}

// concatEqual reports whether the words of a, run together, equal those
// of b.
func concatEqual(a, b []string) bool {
	i, j, x, y := 0, 0, 0, 0 // word and byte in a, in b
	for {
		for i < len(a) && x == len(a[i]) {
			i, x = i+1, 0
		}
		for j < len(b) && y == len(b[j]) {
			j, y = j+1, 0
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		if a[i][x] != b[j][y] {
			return false
		}
		x, y = x+1, y+1
	}
}
