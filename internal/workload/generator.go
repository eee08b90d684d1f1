package workload

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/scv-go/scv/identity"
)

// Config configures [New].
type Config struct {
	// Records is N, the number of records to generate: lines of the JSON
	// Lines and CSV files plus elements of the JSON array, quarantined
	// ones included. It must be positive and at most [MaxRecords].
	Records int
	// Seed selects the workload. The same Seed and Records give the same
	// bytes, on any machine and in any Go version that keeps math/rand/v2's
	// PCG stream (the Go 1 compatibility promise covers it).
	Seed uint64
	// AsOf ends the year of activity the records describe; the zero value
	// means 2026-11-23 00:00 China Standard Time, the fixtures' as-of date.
	AsOf time.Time
	// Traps, if set, generates the ground-truth workload of issue 14's
	// resolution traps instead ([Trap]: gift orders, recycled numbers,
	// cashiers' typos and placeholders, masked receivers, name spellings,
	// lead forms without timestamps, families, records without an
	// identifier), in the same files. It is held in memory (about 330
	// bytes per record, twice that while New generates it), and
	// [Line.Traps] tells each record's traps.
	// Without it, the bytes of a Seed and Records never change.
	Traps bool
}

// MaxRecords is the largest Config.Records: person indexes must fit the
// phone-number allocation (see [Generator.Person]).
const MaxRecords = 30_000_000

// DefaultAsOf is the as-of time of a zero Config.AsOf.
var DefaultAsOf = time.Date(2026, 11, 23, 0, 0, 0, 0, cst)

// cst is China Standard Time, the zone every source writes local times in.
var cst = time.FixedZone("CST", 8*3600)

// Generator generates one workload. It holds only its configuration and
// a few counts: every file is produced person by person as it is read.
// A Generator is immutable and safe for concurrent use; each reader it
// returns is for one goroutine.
type Generator struct {
	seed        uint64
	asOf        int64 // unix seconds
	records     int
	people      int
	lastRecords int // records of the last person, who takes the remainder of N; 0 if none did
	hubs        int // unlisted placeholder numbers typed at the tills
	traps       *trapWorkload
}

// New returns the generator of cfg. It draws every person once to count
// records, which takes about a second per million records.
func New(cfg Config) (*Generator, error) {
	if cfg.Records <= 0 || cfg.Records > MaxRecords {
		return nil, fmt.Errorf("workload: Records must be between 1 and %d", MaxRecords)
	}
	asOf := cfg.AsOf
	if asOf.IsZero() {
		asOf = DefaultAsOf
	}
	g := &Generator{seed: cfg.Seed, asOf: asOf.Unix(), records: cfg.Records, hubs: 1}
	if cfg.Traps {
		g.traps = g.newTrapWorkload(cfg.Records)
		g.people, g.hubs = len(g.traps.people), g.traps.hubs
		return g, nil
	}
	s := newScratch()
	total := 0
	for i := 0; ; i++ {
		g.generate(&s.p, i, s.pcg, s.r)
		n := s.p.nLines
		if total+n >= cfg.Records {
			g.people = i + 1
			if total+n > cfg.Records {
				g.lastRecords = cfg.Records - total
			}
			break
		}
		total += n
	}
	g.hubs = max(1, g.people/2000)
	return g, nil
}

// NumRecords returns N, the number of records in the workload's files.
func (g *Generator) NumRecords() int { return g.records }

// NumPeople returns the number of people the records describe, about N/2.5.
func (g *Generator) NumPeople() int { return g.people }

// HubPhones returns, in E.164 form, the unlisted numbers the workload's
// cashiers type for many different customers (13900001111, ...): valid
// numbers that only the merge step's hub rule can tell from a person's.
func (g *Generator) HubPhones() []string {
	out := make([]string, g.hubs)
	for k := range out {
		out[k] = "+86" + string(appendHub(nil, k))
	}
	return out
}

// File is one native file of a workload.
type File struct {
	// Name is the file's path under the workload directory, with
	// slashes, such as "pos/stores.csv".
	Name   string
	Format identity.Format
	// Source is the identity.Options.Source to read the file with; empty
	// means the format's name.
	Source string
}

// Options returns the identity.Options to read the file with: the
// defaults (region CN, China Standard Time) and the file's source.
func (f File) Options() identity.Options { return identity.Options{Source: f.Source} }

// The files of a workload, in the order they are read and listed.
const (
	fileFollowers = iota
	fileMiniProgram
	fileFans
	fileLeads
	fileTaobao
	fileJD
	filePOS
	fileCRM
	fileSurvey
	numFiles
)

var files = []File{
	fileFollowers:   {"wechat/followers.jsonl", identity.FormatWeChat, ""},
	fileMiniProgram: {"wechat/miniprogram.jsonl", identity.FormatWeChat, ""},
	fileFans:        {"weibo/fans.jsonl", identity.FormatWeibo, ""},
	fileLeads:       {"weibo/leads.jsonl", identity.FormatWeibo, ""},
	fileTaobao:      {"ecommerce/taobao.jsonl", identity.FormatEcommerce, ""},
	fileJD:          {"ecommerce/jd.json", identity.FormatEcommerce, ""},
	filePOS:         {"pos/stores.csv", identity.FormatPOS, ""},
	fileCRM:         {"csv/crm.csv", identity.FormatCSV, "crm"},
	fileSurvey:      {"csv/survey.csv", identity.FormatCSV, "survey"},
}

// Files returns the native files of every workload, in the order to read
// them: WeChat, Weibo (anonymous fans before the lead forms that bind
// them), e-commerce, POS, then the CRM and survey CSVs. The caller owns the
// returned slice.
func Files() []File { return slices.Clone(files) }

// Open returns the bytes of file f (one of [Files]), generated as they are
// read: the same bytes [Generator.WriteFiles] writes. The reader holds one
// block of the file's line index in memory (a few bytes per line of up to
// 65,536 people), never the records. It is for one goroutine.
func (g *Generator) Open(f File) io.Reader {
	idx := slices.Index(files, f)
	if idx < 0 {
		return errReader{fmt.Errorf("workload: unknown file %s", f.Name)}
	}
	if g.traps != nil {
		return bytes.NewReader(g.traps.files[idx])
	}
	return &fileReader{c: g.cursor(idx)}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// Records streams the workload's records as identity.Decode reads them from
// the bytes of [Generator.Open], file by file in the order of [Files]:
// exactly what decoding the files [Generator.WriteFiles] writes yields,
// without writing them. Quarantined records come as *identity.RecordError
// values, as from identity.Decode. It holds no more than one record and one
// block of line index in memory.
func (g *Generator) Records() iter.Seq2[identity.Record, error] {
	return func(yield func(identity.Record, error) bool) {
		for _, f := range files {
			for rec, err := range identity.Decode(g.Open(f), f.Format, f.Options()) {
				if !yield(rec, err) {
					return
				}
			}
		}
	}
}

// ReadDir streams the records of the workload files in dir (as
// [Generator.WriteFiles] wrote them), file by file in the order of [Files],
// through identity.Decode. A file that cannot be opened ends the stream
// with an error.
func ReadDir(dir string) iter.Seq2[identity.Record, error] {
	return func(yield func(identity.Record, error) bool) {
		for _, f := range files {
			fh, err := os.Open(filepath.Join(dir, filepath.FromSlash(f.Name)))
			if err != nil {
				yield(identity.Record{}, fmt.Errorf("workload: %w", err))
				return
			}
			for rec, err := range identity.Decode(fh, f.Format, f.Options()) {
				if !yield(rec, err) {
					fh.Close()
					return
				}
			}
			fh.Close()
		}
	}
}

// WriteFiles writes the workload into dir: every file of [Files] and the
// ground truth, truth/records.csv and truth/people.csv (see
// [Generator.Lines] and [Generator.Person] for what they hold). dir is
// created if needed; existing files are replaced.
func (g *Generator) WriteFiles(dir string) error {
	for _, f := range files {
		if err := g.writeFile(filepath.Join(dir, filepath.FromSlash(f.Name)), func(w io.Writer) error {
			_, err := io.Copy(w, g.Open(f))
			return err
		}); err != nil {
			return err
		}
	}
	if err := g.writeFile(filepath.Join(dir, "truth", "records.csv"), g.writeLineTruth); err != nil {
		return err
	}
	return g.writeFile(filepath.Join(dir, "truth", "people.csv"), g.writePeopleTruth)
}

func (g *Generator) writeFile(path string, fill func(io.Writer) error) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("workload: %w", err)
	}
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("workload: %w", err)
	}
	defer func() {
		if cerr := fh.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("workload: %w", cerr)
		}
	}()
	bw := bufio.NewWriterSize(fh, 256<<10)
	if err := fill(bw); err != nil {
		return fmt.Errorf("workload: write %s: %w", filepath.Base(path), err)
	}
	return bw.Flush()
}

// scratch is one goroutine's person and random stream.
type scratch struct {
	pcg *rand.PCG
	r   *rand.Rand
	p   person
}

func newScratch() *scratch {
	pcg := rand.NewPCG(0, 0)
	return &scratch{pcg: pcg, r: rand.New(pcg)}
}

// blockPeople is how many people's lines of one file are sorted by time
// together. A person's records in a file are therefore far apart (by the
// time between them), as in a real export, not next to each other, which
// would let a batching ingest fold them at once; yet the index of a block
// stays a few hundred kilobytes.
const blockPeople = 1 << 16

// entry is one line of a file in a block: when, whose, and which.
type entry struct {
	at     int64
	person int32
	line   uint8
}

// cursor walks the lines of one file in file order, regenerating the person
// of each.
type cursor struct {
	g     *Generator
	file  int
	s     *scratch
	block []entry
	pos   int
	next  int   // the first person of the next block
	cur   int32 // the person in s.p; -1 for none
	n     int   // lines returned so far
}

func (g *Generator) cursor(file int) *cursor {
	return &cursor{g: g, file: file, s: newScratch(), cur: -1}
}

// step returns the next line and its person, or false at the end. The
// person is valid until the next call.
func (c *cursor) step() (*person, *line, bool) {
	for c.pos == len(c.block) {
		if c.next >= c.g.people {
			return nil, nil, false
		}
		c.fill()
	}
	e := c.block[c.pos]
	c.pos++
	if e.person != c.cur {
		c.g.generate(&c.s.p, int(e.person), c.s.pcg, c.s.r)
		c.cur = e.person
	}
	c.n++
	return &c.s.p, &c.s.p.lines[e.line], true
}

// fill indexes the next block of people.
func (c *cursor) fill() {
	lo, hi := c.next, min(c.next+blockPeople, c.g.people)
	c.block, c.pos, c.next = c.block[:0], 0, hi
	p := &c.s.p
	for i := lo; i < hi; i++ {
		c.g.generate(p, i, c.s.pcg, c.s.r)
		for j := range p.nLines {
			if int(p.lines[j].file) == c.file {
				c.block = append(c.block, entry{at: p.lines[j].at, person: int32(i), line: uint8(j)})
			}
		}
	}
	c.cur = int32(hi - 1)
	slices.SortFunc(c.block, func(a, b entry) int {
		if d := cmp.Compare(a.at, b.at); d != 0 {
			return d
		}
		if d := cmp.Compare(a.person, b.person); d != 0 {
			return d
		}
		return cmp.Compare(a.line, b.line)
	})
}

// lineNumber is the number identity.Decode gives the n-th (1-based) record
// of a file: its line, the header counted, or its element of a JSON array.
func lineNumber(file, n int) int {
	if files[file].Format == identity.FormatPOS || files[file].Format == identity.FormatCSV {
		return n + 1
	}
	return n
}

// fileReader renders a file's lines into a buffer as it is read.
type fileReader struct {
	c      *cursor
	buf    []byte
	off    int
	header bool // written
	done   bool
}

const readChunk = 64 << 10

func (r *fileReader) Read(p []byte) (int, error) {
	for r.off == len(r.buf) {
		if r.done {
			return 0, io.EOF
		}
		r.render()
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

// render fills the buffer with the next lines, the header before the first
// and the footer after the last.
func (r *fileReader) render() {
	r.buf, r.off = r.buf[:0], 0
	if !r.header {
		r.buf = appendHeader(r.buf, r.c.file)
		r.header = true
	}
	for len(r.buf) < readChunk {
		p, l, ok := r.c.step()
		if !ok {
			r.buf = appendFooter(r.buf, r.c.file)
			r.done = true
			return
		}
		r.buf = appendRecord(r.buf, r.c.g, p, l, r.c.n)
	}
}

// errBadIndex is returned by Person for an index out of range.
var errBadIndex = errors.New("workload: person index out of range")
