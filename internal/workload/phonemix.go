package workload

import "fmt"

// The kinds of phone values in [Generator.PhoneMix], with their shares in
// percent.
const (
	mixMobile      = iota // a person's mobile, spelled as in the records: 70%
	mixMasked             // masked by a platform, 138****5678: 8%
	mixShort              // a cashier's typo, the last digit missing: 4%
	mixPlaceholder        // 13800000000 or an unlisted hub number: 4%
	mixLandline           // a fixed line with its area code, some with an extension: 5%
	mixForeign            // Hong Kong, Taiwan, Singapore, Japan, US mobiles: 4%
	mixService            // 400/800 numbers, 95xxx, 10086: 3%
	mixJunk               // what people type instead of a number: 2%
)

var mixPick = newPicker(70, 8, 4, 4, 5, 4, 3, 2)

// PhoneMix returns n phone values as a brand's exports hold them: the
// workload's mobiles in its spellings (70%), and beside them what a phone
// column also carries and what no key may come from: numbers masked by a
// platform, cashiers' typos and placeholders, landlines, foreign mobiles,
// service numbers and junk (the shares are in the package's source). They
// are inputs for timing phone parsers on real-world input rather than on
// valid mobiles only. The same generator and n give the same slice.
func (g *Generator) PhoneMix(n int) []string {
	s := newScratch()
	s.pcg.Seed(g.seed, 0x9403e)
	r := s.r
	digits := func(k int) string {
		b := make([]byte, k)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	out := make([]string, n)
	var b []byte
	for k := range out {
		pre, suf := g.phoneOf(r.IntN(g.people))
		switch mixPick.pick(r) {
		case mixMobile:
			b = appendSpelled(b[:0], uint8(spellPick.pick(r)), pre, suf)
			out[k] = string(b)
		case mixMasked:
			out[k] = string(appendMasked(b[:0], pre, suf))
		case mixShort:
			b = appendPhone(b[:0], pre, suf)
			out[k] = string(b[:10])
		case mixPlaceholder:
			if r.IntN(2) == 0 {
				out[k] = "13800000000"
			} else {
				out[k] = string(appendHub(b[:0], r.IntN(g.hubs)))
			}
		case mixLandline:
			switch r.IntN(4) {
			case 0:
				out[k] = "010-6" + digits(7)
			case 1:
				out[k] = "0755 " + "8" + digits(3) + " " + digits(4)
			case 2:
				out[k] = "(021)" + "5" + digits(7)
			default:
				out[k] = "020-8" + digits(7) + "转" + digits(3)
			}
		case mixForeign:
			switch r.IntN(5) {
			case 0:
				out[k] = "+852 9" + digits(3) + " " + digits(4)
			case 1:
				out[k] = "+886 912 " + digits(3) + " " + digits(3)
			case 2:
				out[k] = "+65 9" + digits(7)
			case 3:
				out[k] = "+81 90-" + digits(4) + "-" + digits(4)
			default:
				out[k] = "+1 (415) 555-0" + digits(3)
			}
		case mixService:
			switch r.IntN(4) {
			case 0:
				out[k] = "400-" + digits(3) + "-" + digits(4)
			case 1:
				out[k] = "800 " + digits(3) + " " + digits(4)
			case 2:
				out[k] = fmt.Sprintf("955%02d", r.IntN(100))
			default:
				out[k] = "10086"
			}
		default:
			out[k] = []string{"无", "n/a", "-", "123456", "1380013800000", "00000000000", "未知"}[r.IntN(7)]
		}
	}
	return out
}
