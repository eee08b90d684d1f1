package identity

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The differential test: the fast path must give exactly what the
// reference path gives, for every input it decides.

// raceEnabled reports whether the test binary was built with -race, from
// the build settings the go command records.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// diffInputs is how many generated inputs TestParsePhoneFastMatchesReference
// compares: a million, or a hundred thousand under the race detector or
// -short (the race detector makes phonenumbers some ten times slower).
func diffInputs() int {
	if raceEnabled() || testing.Short() {
		return 100_000
	}
	return 1_000_000
}

// diffExtra are placeholders configured on top of the defaults, so that
// the comparison covers a parser's own list too.
var diffExtra = map[string]struct{}{"+8613987654321": {}, "+861088886666": {}}

func TestParsePhoneFastMatchesReference(t *testing.T) {
	if _, err := cnFastTables(); err != nil {
		t.Fatalf("fast path is off: %v", err)
	}
	const chunk = 10_000
	total := diffInputs()
	chunks := total / chunk

	type tally struct {
		decided, mobiles, mobilesDecided int
		byReason, decidedBy              map[string]int // by diffClass
		mismatches                       []string
	}
	var (
		mu   sync.Mutex
		sum  = tally{byReason: map[string]int{}, decidedBy: map[string]int{}}
		wg   sync.WaitGroup
		next = make(chan int)
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			local := tally{byReason: map[string]int{}, decidedBy: map[string]int{}}
			for c := range next {
				r := rand.New(rand.NewPCG(20261018, uint64(c)))
				for range chunk {
					raw := genPhoneInput(r)
					rph, rerr := parseReference(raw, "CN", diffExtra)
					local.byReason[diffClass(rph, rerr)]++
					mobile := rerr == nil && rph.Mobile() && rph.Region() == "CN"
					if mobile {
						local.mobiles++
					}
					fph, ferr, ok := parseFast(raw, diffExtra)
					if !ok {
						continue
					}
					local.decided++
					local.decidedBy[diffClass(rph, rerr)]++
					if mobile {
						local.mobilesDecided++
					}
					if fph != rph || ferr != rerr {
						local.mismatches = append(local.mismatches,
							fmt.Sprintf("%q: fast %#v, %v; reference %#v, %v", raw, fph, ferr, rph, rerr))
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			sum.decided += local.decided
			sum.mobiles += local.mobiles
			sum.mobilesDecided += local.mobilesDecided
			for k, v := range local.byReason {
				sum.byReason[k] += v
			}
			for k, v := range local.decidedBy {
				sum.decidedBy[k] += v
			}
			sum.mismatches = append(sum.mismatches, local.mismatches...)
		})
	}
	for c := range chunks {
		next <- c
	}
	close(next)
	wg.Wait()

	for i, m := range sum.mismatches {
		if i == 20 {
			t.Errorf("... and %d more mismatches", len(sum.mismatches)-20)
			break
		}
		t.Errorf("mismatch: %s", m)
	}
	t.Logf("%d inputs: reference results %v; fast path decided %d (%.1f%%: %v), %d of %d valid mainland mobiles (%.2f%%); %d mismatches",
		total, sum.byReason, sum.decided, 100*float64(sum.decided)/float64(total), sum.decidedBy,
		sum.mobilesDecided, sum.mobiles, 100*float64(sum.mobilesDecided)/float64(sum.mobiles), len(sum.mismatches))

	// The generator must exercise every outcome, and the fast path must
	// take nearly every mobile: a fast path that handed everything over
	// would agree trivially.
	for _, reason := range []string{"ok", "ok_landline", "ok_foreign", string(ReasonInvalidPhone), string(ReasonMaskedPhone), string(ReasonServicePhone), string(ReasonPlaceholderPhone)} {
		if sum.byReason[reason] < total/100 {
			t.Errorf("only %d of %d inputs gave %s: the generator is skewed", sum.byReason[reason], total, reason)
		}
	}
	if sum.mobilesDecided < sum.mobiles*97/100 {
		t.Errorf("fast path decided only %d of %d valid mainland mobiles", sum.mobilesDecided, sum.mobiles)
	}
	// Landlines, foreign numbers, service numbers and refusals take
	// the fast path too: the share of each class it decides, in
	// percent, at least. (Invalid inputs include the reference's parse
	// errors, which the fast path leaves to it.)
	minShare := map[string]int{"ok_landline": 95, "ok_foreign": 75, string(ReasonServicePhone): 95, string(ReasonMaskedPhone): 95,
		string(ReasonPlaceholderPhone): 99, string(ReasonInvalidPhone): 75}
	got, want := map[string]bool{}, map[string]bool{}
	for class, min := range minShare {
		got[class] = 100*sum.decidedBy[class] >= min*sum.byReason[class]
		want[class] = true
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("classes the fast path decides enough of (-want +got):\n%s", diff)
	}
}

// diffClass names what the reference made of an input: "ok" for a
// mainland mobile, "ok_landline" for another mainland number,
// "ok_foreign" for a foreign one, or the reason of its refusal.
func diffClass(ph Phone, err error) string {
	switch {
	case err != nil:
		return reasonOf(err)
	case ph.Region() != "CN":
		return "ok_foreign"
	case !ph.Mobile():
		return "ok_landline"
	}
	return "ok"
}

func reasonOf(err error) string {
	if err == nil {
		return "ok"
	}
	return string(PhoneReason(err))
}

// genPhoneInput returns one input in the mix the differential test and
// the benchmarks draw from: mainland mobiles and landlines in every
// spelling ParsePhone accepts, service numbers, placeholders, foreign
// numbers, masked numbers, extensions, and mutations and junk.
func genPhoneInput(r *rand.Rand) string {
	var s string
	switch k := r.IntN(100); {
	case k < 45:
		s = spellNational(r, genMobile(r), true)
	case k < 55:
		s = spellNational(r, genLandline(r), false)
	case k < 63:
		s = genService(r)
	case k < 70:
		s = spellNational(r, genPlaceholder(r), true)
	case k < 78:
		s = genForeign(r)
	case k < 88:
		s = digitString(r, r.IntN(20))
	default:
		s = junk(r, r.IntN(16))
	}
	if r.IntN(10) == 0 {
		s = mask(r, s)
	}
	if r.IntN(8) == 0 {
		s += genExtension(r)
	}
	if r.IntN(4) == 0 {
		s = fullWidth(r, s)
	}
	for r.IntN(6) == 0 {
		s = mutate(r, s)
	}
	if r.IntN(20) == 0 {
		s = pick(r, " ", "\t", "\u3000", "\u00a0") + s + pick(r, "", " ", "\u3000", "\n")
	}
	return s
}

// mobilePrefixes covers 130-199, valid and not.
func genMobile(r *rand.Rand) string {
	return fmt.Sprintf("1%d%d%s", 3+r.IntN(7), r.IntN(10), digitString(r, 8))
}

var areaCodes = []string{"10", "20", "21", "22", "23", "24", "25", "27", "28", "29", "311", "351", "371", "411",
	"431", "451", "471", "510", "512", "531", "551", "571", "591", "731", "755", "757", "769", "871", "898",
	"931", "951", "991", "8078", "335", "754", "851", "413"}

func genLandline(r *rand.Rand) string {
	ac := areaCodes[r.IntN(len(areaCodes))]
	n := 7 + r.IntN(2)
	if r.IntN(10) == 0 {
		n = 4 + r.IntN(6)
	}
	first := string(rune('2' + r.IntN(7)))
	if r.IntN(8) == 0 {
		first = string(rune('0' + r.IntN(10)))
	}
	return ac + first + digitString(r, n-1)
}

func genService(r *rand.Rand) string {
	switch r.IntN(9) {
	case 0:
		return spellNational(r, "400"+digitString(r, 7), false)
	case 1:
		return spellNational(r, "800"+digitString(r, 7), false)
	case 2:
		return "95" + digitString(r, 3+r.IntN(2))
	case 3:
		return "96" + digitString(r, 3+r.IntN(2))
	case 4:
		return "1" + string(rune('0'+r.IntN(3))) + digitString(r, 3)
	case 5:
		return pick(r, "10086", "10010", "10000", "12315", "12345", "12306", "95588", "110", "120", "114")
	case 6:
		return "0" + areaCodes[r.IntN(len(areaCodes))] + pick(r, "-", " ", "") + pick(r, "95588", "12345", "10086", "96110", "95555")
	case 7:
		return spellNational(r, "950"+digitString(r, 7+r.IntN(2)), false)
	default:
		return spellNational(r, "1010"+digitString(r, 4), false)
	}
}

func genPlaceholder(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return pick(r, "13800000000", "13800138000", "13812345678", "13987654321")
	}
	d := string(rune('0' + r.IntN(10)))
	return fmt.Sprintf("1%d%d%s", 3+r.IntN(7), r.IntN(10), strings.Repeat(d, 8))
}

func genForeign(r *rand.Rand) string {
	switch r.IntN(7) {
	case 0:
		return "+1 " + pick(r, "650", "212", "415", "604") + " " + digitString(r, 7)
	case 1:
		return "+44 " + pick(r, "20", "7700", "121") + " " + digitString(r, 6+r.IntN(3))
	case 2:
		return pick(r, "+852 ", "00852 ", "+853 ") + digitString(r, 8)
	case 3:
		return pick(r, "+886 9", "+81 90", "+61 4") + digitString(r, 8)
	case 4:
		return pick(r, "001", "00", "+", "011") + digitString(r, 6+r.IntN(10))
	case 5:
		return "+" + digitString(r, 1+r.IntN(3)) + " " + digitString(r, r.IntN(12))
	default:
		return pick(r, "+8686", "+860", "+86 0", "0086 0", "86 0", "+87", "+86 86") + digitString(r, 8+r.IntN(5))
	}
}

// spellNational writes nsn, a mainland national number, as people do.
func spellNational(r *rand.Rand, nsn string, mobile bool) string {
	var prefix string
	trunk := "0"
	if mobile {
		trunk = ""
	}
	switch k := r.IntN(20); {
	case k < 6:
		prefix = trunk
	case k < 9:
		prefix = pick(r, "+86", "+86 ", "+86-", "(+86)", "(+86) ", "+(86)", "+86 (0)")
	case k < 11:
		prefix = pick(r, "0086", "0086 ", "0086-", "(0086)")
	case k < 13:
		prefix = pick(r, "86", "86 ", "86-", "(86)") + pick(r, "", "", "", trunk, "0")
	case k < 16:
		ip := pick(r, "17951", "12593", "17911", "17901", "10193", "11808", "96435", "17909", "17950", "12520", "17999", "11111", "12315", "96688", "10086")
		prefix = ip + pick(r, "", " ", "-") + pick(r, trunk, trunk, "0", "")
	case k < 17:
		prefix = pick(r, "+", "00", "0", "1", "+0", "+860", "8686", "0 0")
	default:
		prefix = trunk
		if !mobile && r.IntN(3) == 0 {
			prefix = ""
		}
	}
	return prefix + group(r, nsn, mobile)
}

// group splits digits into groups with one kind of separator, sometimes
// bracketing the first group.
func group(r *rand.Rand, d string, mobile bool) string {
	sep := pick(r, "", "", " ", " ", "-", "-", ".", "/", "\u3000", "－", " - ", "—")
	var parts []string
	switch {
	case sep == "":
		parts = []string{d}
	case mobile && len(d) == 11 && r.IntN(3) > 0:
		parts = []string{d[:3], d[3:7], d[7:]}
	default:
		for len(d) > 0 {
			n := min(len(d), 1+r.IntN(5))
			parts = append(parts, d[:n])
			d = d[n:]
		}
	}
	if len(parts) > 1 && r.IntN(6) == 0 {
		parts[0] = pick(r, "(", "[", "（") + parts[0] + pick(r, ")", "]", "）")
	}
	return strings.Join(parts, sep)
}

func genExtension(r *rand.Rand) string {
	marker := pick(r, "转", " 转 ", "ext", " ext. ", "EXT", "x", " x", "X", "#", " #", "-", "-", " 分机 ", "Ext.")
	ext := digitString(r, r.IntN(9))
	if r.IntN(10) == 0 {
		ext = junk(r, 2)
	}
	return marker + ext
}

// mask hides a run of the digits of s.
func mask(r *rand.Rand, s string) string {
	rs := []rune(s)
	var digits []int
	for i, c := range rs {
		if c >= '0' && c <= '9' {
			digits = append(digits, i)
		}
	}
	if len(digits) == 0 {
		return s
	}
	m := []rune(pick(r, "*", "*", "x", "X", "＊", "×", "●", "ｘ"))[0]
	start := r.IntN(len(digits))
	for n := 1 + r.IntN(4); n > 0 && start < len(digits); n-- {
		rs[digits[start]] = m
		start++
	}
	return string(rs)
}

// fullWidth turns some ASCII characters of s into their full-width forms.
func fullWidth(r *rand.Rand, s string) string {
	all := r.IntN(2) == 0
	var b strings.Builder
	for _, c := range s {
		if c > ' ' && c < 0x7f && (all || r.IntN(2) == 0) {
			c += 0xff01 - '!'
		} else if c == ' ' && r.IntN(2) == 0 {
			c = '\u3000'
		}
		b.WriteRune(c)
	}
	return b.String()
}

var junkRunes = []rune("0123456789+-() .#*xXeEtT转分机/\n\t\r\u00a0\u3000①٣﹣﹘﹒﹟﹡‑−•●∗×—–·，,abcz？?_:;ext")

func junk(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteRune(junkRunes[r.IntN(len(junkRunes))])
	}
	return b.String()
}

func mutate(r *rand.Rand, s string) string {
	rs := []rune(s)
	i := r.IntN(len(rs) + 1)
	switch r.IntN(4) {
	case 0:
		return string(rs[:i]) + junk(r, 1) + string(rs[i:])
	case 1:
		if i < len(rs) {
			return string(rs[:i]) + string(rs[i+1:])
		}
	case 2:
		if i < len(rs) {
			return string(rs[:i+1]) + string(rs[i:])
		}
	default:
		return string(rs[:i]) + digitString(r, 1) + string(rs[i:])
	}
	return s
}

func digitString(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

func pick(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }
