package workload

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// The heavy-corruption set: people with up to ten copies of their record,
// each copy corrupted as the Febrl generator corrupts duplicates (typos in
// Latin names, given name and surname swapped, missing fields, a date of
// birth mistyped, one digit of the phone mistyped in some copies), all
// copies but the mistyped ones sharing the person's one phone. One
// person's spellings on one phone are the trap: a rule that counts
// distinct names takes them for many people.

// HeavyConfig configures [WriteHeavy].
type HeavyConfig struct {
	// People is how many people to write, at most 1,000,000 (each has
	// a number of their own); each has 1 to 10 records.
	People int
	// Seed selects the set; the same Seed and People give the same bytes.
	Seed uint64
	// PhoneTypoRate is the share of copies (not originals) whose phone
	// has one digit mistyped; zero means 0.1.
	PhoneTypoRate float64
}

// HeavyHeader is the header of the CSV [WriteHeavy] writes: the columns
// of the Febrl data sets that a brand would hold.
const HeavyHeader = "rec_id,given_name,surname,date_of_birth,phone_number,suburb,state"

var (
	heavyGiven = []string{
		"jack", "oliver", "william", "thomas", "james", "lachlan", "joshua", "benjamin", "samuel", "daniel",
		"ethan", "matthew", "ryan", "liam", "noah", "lucas", "alexander", "nicholas", "harrison", "cooper",
		"charlotte", "olivia", "chloe", "emily", "sophie", "isabella", "mia", "ella", "grace", "jessica",
		"hannah", "lily", "amelia", "zoe", "ruby", "georgia", "sarah", "emma", "madison", "abigail",
	}
	heavySurname = []string{
		"smith", "jones", "williams", "brown", "wilson", "taylor", "johnson", "white", "martin", "anderson",
		"thompson", "nguyen", "thomas", "walker", "harris", "lee", "ryan", "robinson", "kelly", "king",
		"davis", "wright", "evans", "roberts", "green", "hall", "wood", "jackson", "clarke", "patel",
		"campbell", "mitchell", "hughes", "young", "cooper", "ward", "edwards", "morris", "stewart", "murphy",
	}
	heavySuburb = []string{"epping", "northam", "dapto", "ingham", "glenroy", "belmont", "richmond", "toowong", "mosman", "fitzroy"}
	heavyState  = []string{"nsw", "vic", "qld", "wa", "sa", "tas", "act", "nt"}
	heavyMobile = []string{"040", "041", "042", "043", "046"}
)

// WriteHeavy writes the heavy-corruption set as a CSV with [HeavyHeader]:
// person k's records have rec_id 10k+c for copy c (c = 0 the original),
// so that the rec_id without its last digit names the person, as in the
// Febrl sets.
func WriteHeavy(w io.Writer, cfg HeavyConfig) error {
	if cfg.People <= 0 || cfg.People > 1_000_000 {
		return fmt.Errorf("workload: People must be between 1 and 1000000")
	}
	typo := cfg.PhoneTypoRate
	if typo == 0 {
		typo = 0.1
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x6865617679))
	cw := csv.NewWriter(w)
	if _, err := io.WriteString(w, HeavyHeader+"\n"); err != nil {
		return err
	}
	for k := 1; k <= cfg.People; k++ {
		orig := []string{
			heavyGiven[r.IntN(len(heavyGiven))],
			heavySurname[r.IntN(len(heavySurname))],
			fmt.Sprintf("%04d%02d%02d", 1940+r.IntN(65), 1+r.IntN(12), 1+r.IntN(28)),
			heavyMobile[r.IntN(len(heavyMobile))] + " " + string(appendPadded(nil, (uint64(k)*7919+cfg.Seed)%10_000_000, 7)),
			heavySuburb[r.IntN(len(heavySuburb))],
			heavyState[r.IntN(len(heavyState))],
		}
		copies := 1 + r.IntN(10)
		for c := range copies {
			rec := append([]string(nil), orig...)
			if c > 0 {
				corrupt(r, rec)
				if chance(r, typo) {
					rec[3] = mistypeDigit(r, rec[3])
				}
			}
			row := append([]string{strconv.Itoa(10*k + c)}, rec...)
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// corrupt applies one to three Febrl-style corruptions to a record of
// given name, surname, date of birth, phone, suburb and state.
func corrupt(r *rand.Rand, rec []string) {
	for range 1 + r.IntN(3) {
		switch r.IntN(6) {
		case 0, 1: // a typo in a name
			f := r.IntN(2)
			rec[f] = typo(r, rec[f])
		case 2: // given name and surname swapped
			rec[0], rec[1] = rec[1], rec[0]
		case 3: // a missing field: given name, date of birth or suburb
			rec[[]int{0, 2, 4}[r.IntN(3)]] = ""
		case 4: // a date of birth mistyped
			if rec[2] != "" {
				rec[2] = mistypeDigit(r, rec[2])
			}
		default: // a typo in the suburb
			rec[4] = typo(r, rec[4])
		}
	}
}

// typo inserts, deletes, substitutes or transposes one letter.
func typo(r *rand.Rand, s string) string {
	if len(s) < 2 {
		return s
	}
	b := []byte(s)
	i := r.IntN(len(b) - 1)
	c := byte('a' + r.IntN(26))
	switch r.IntN(4) {
	case 0:
		return string(b[:i]) + string(c) + string(b[i:])
	case 1:
		return string(b[:i]) + string(b[i+1:])
	case 2:
		b[i] = c
	default:
		b[i], b[i+1] = b[i+1], b[i]
	}
	return string(b)
}

// mistypeDigit replaces one of the last six digits of s with another.
func mistypeDigit(r *rand.Rand, s string) string {
	b := []byte(s)
	var pos []int
	for i, c := range b {
		if '0' <= c && c <= '9' {
			pos = append(pos, i)
		}
	}
	if len(pos) == 0 {
		return s
	}
	i := pos[len(pos)-1-r.IntN(min(6, len(pos)))]
	b[i] = '0' + (b[i]-'0'+byte(1+r.IntN(9)))%10
	return string(b)
}
