// Command gentables writes the character tables that package match embeds:
// traditional to simplified (from OpenCC's character dictionary, through
// github.com/longbridgeapp/opencc), toneless pinyin (from
// github.com/mozillazg/go-pinyin) and the radical and residual stroke count
// (kRSUnicode, from Unihan_IRGSources.txt of the Unicode Character
// Database; Debian's unicode-data package ships it compressed).
//
// Run it from the repository root:
//
//	go run ./match/internal/gentables -unihan /usr/share/unicode/Unihan_IRGSources.txt.bz2
//
// Every table covers the CJK Unified Ideographs block, U+4E00 to U+9FFF,
// two bytes (little-endian) per character; the library reads them in
// place, so importing match costs no start-up work.
package main

import (
	"bufio"
	"compress/bzip2"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/longbridgeapp/opencc"
	"github.com/mozillazg/go-pinyin"
)

const (
	first = 0x4E00
	last  = 0x9FFF
	n     = last - first + 1
)

func main() {
	unihan := flag.String("unihan", "/usr/share/unicode/Unihan_IRGSources.txt.bz2", "Unihan_IRGSources.txt, plain or .bz2")
	out := flag.String("out", "match/tables", "output directory")
	flag.Parse()
	if err := run(*unihan, *out); err != nil {
		log.Fatal(err)
	}
}

func run(unihan, out string) error {
	t2s, err := simplified()
	if err != nil {
		return err
	}
	py, syllables := readings()
	rs, err := radicals(unihan)
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"t2s.bin": t2s, "pinyin.bin": py, "radical.bin": rs} {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(out, "syllables.txt"), []byte(strings.Join(syllables, " ")+"\n"), 0o644)
}

// simplified maps each character to its simplified form, as an offset from
// U+4E00, or 0xFFFF where the character is unchanged or its simplified form
// lies outside the block.
func simplified() ([]byte, error) {
	cc, err := opencc.New("t2s")
	if err != nil {
		return nil, err
	}
	b := make([]byte, 2*n)
	changed := 0
	for r := rune(first); r <= last; r++ {
		v := uint16(0xFFFF)
		s, err := cc.Convert(string(r))
		if err != nil {
			return nil, err
		}
		if rs := []rune(s); len(rs) == 1 && rs[0] != r && rs[0] >= first && rs[0] <= last {
			v = uint16(rs[0] - first)
			changed++
		}
		binary.LittleEndian.PutUint16(b[2*(r-first):], v)
	}
	log.Printf("t2s: %d characters change", changed)
	return b, nil
}

// readings maps each character to the index (from 1) of its first toneless
// pinyin reading in the syllable list; 0 for none.
func readings() ([]byte, []string) {
	args := pinyin.NewArgs()
	args.Style = pinyin.Normal
	index := map[string]int{}
	var syllables []string
	b := make([]byte, 2*n)
	for r := rune(first); r <= last; r++ {
		p := pinyin.SinglePinyin(r, args)
		if len(p) == 0 || p[0] == "" {
			continue
		}
		s := strings.ReplaceAll(p[0], "ü", "v")
		i, ok := index[s]
		if !ok {
			syllables = append(syllables, s)
			i = len(syllables)
			index[s] = i
		}
		binary.LittleEndian.PutUint16(b[2*(r-first):], uint16(i))
	}
	log.Printf("pinyin: %d syllables", len(syllables))
	return b, syllables
}

// radicals maps each character to its Kangxi radical and residual stroke
// count (kRSUnicode's first value), one byte each.
func radicals(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".bz2") {
		r = bzip2.NewReader(f)
	}
	b := make([]byte, 2*n)
	sc := bufio.NewScanner(r)
	count := 0
	for sc.Scan() {
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) != 3 || fs[1] != "kRSUnicode" {
			continue
		}
		cp, err := strconv.ParseUint(strings.TrimPrefix(fs[0], "U+"), 16, 32)
		if err != nil || cp < first || cp > last {
			continue
		}
		rad, strokes, ok := strings.Cut(strings.Fields(fs[2])[0], ".")
		if !ok {
			return nil, fmt.Errorf("gentables: bad kRSUnicode %q", fs[2])
		}
		ri, err := strconv.Atoi(strings.TrimRight(rad, "'\""))
		if err != nil {
			return nil, err
		}
		si, err := strconv.Atoi(strokes)
		if err != nil {
			return nil, err
		}
		b[2*(cp-first)] = byte(ri)
		b[2*(cp-first)+1] = byte(min(max(si, 0), 255))
		count++
	}
	log.Printf("radicals: %d characters", count)
	return b, sc.Err()
}
