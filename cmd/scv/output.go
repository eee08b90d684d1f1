package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scv-go/scv"
)

// writeJSON writes v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// money formats an amount in minor units: ¥1,299.00 for CNY, "USD 12.50"
// for others.
func money(fen int64, currency string) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	s := thousands(fen/100) + fmt.Sprintf(".%02d", fen%100)
	if currency == "" || currency == "CNY" {
		return sign + "¥" + s
	}
	return currency + " " + sign + s
}

// thousands formats n with commas between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// day formats a time as its date in China Standard Time, or "-".
func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(chinaTime).Format(time.DateOnly)
}

// yesNo formats a consent flag.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// writeProfile prints a profile for a person to read: who, stage and
// metrics, consent, identifiers, sources and fields with provenance.
func writeProfile(w io.Writer, p *scv.Profile) {
	name := p.Name
	if name == "" {
		name = "(no name)"
	}
	m := p.Metrics
	fmt.Fprintf(w, "%s\n", name)
	fmt.Fprintf(w, "  id          %s\n", p.ID)
	phones := "-"
	if len(p.Phones) > 0 {
		phones = strings.Join(p.Phones, ", ")
	}
	fmt.Fprintf(w, "  phones      %s\n", phones)
	fmt.Fprintf(w, "  stage       %s, risk %s (as of %s)\n", p.Stage, p.Risk, day(p.AsOf))
	fmt.Fprintf(w, "  orders      %d paid, %d in the last 365 days; first %s, last %s\n",
		m.Orders, m.OrdersInWindow, day(m.FirstPurchase), day(m.LastPurchase))
	fmt.Fprintf(w, "  spend       %s, average order %s, lifetime value %s\n",
		money(m.SpendFen, m.Currency), money(m.AOVFen, m.Currency), money(m.CLVFen, m.Currency))
	var fb []string
	if m.NPS != nil {
		fb = append(fb, fmt.Sprintf("NPS %d (%s)", *m.NPS, m.NPSCategory))
	}
	if m.CSAT != nil {
		fb = append(fb, fmt.Sprintf("CSAT %d", *m.CSAT))
	}
	if len(fb) == 0 {
		fb = append(fb, "-")
	}
	fmt.Fprintf(w, "  feedback    %s\n", strings.Join(fb, ", "))
	fmt.Fprintf(w, "  referrals   %d, %d of them paying\n", m.Referrals, m.PaidReferrals)
	if m.PreferredChannel != "" {
		fmt.Fprintf(w, "  channel     %s (preferred)\n", m.PreferredChannel)
	}
	var consent []string
	for _, purpose := range sortedKeys(p.Consent) {
		consent = append(consent, fmt.Sprintf("%s %s", purpose, yesNo(p.Consent[purpose])))
	}
	fmt.Fprintf(w, "  consent     %s\n", strings.Join(consent, ", "))
	fmt.Fprintf(w, "  seen        %s to %s\n", day(p.FirstSeen), day(p.LastSeen))
	fmt.Fprintf(w, "  identifiers\n")
	for _, id := range p.Identifiers {
		kind := id.Kind
		if id.Scope != "" {
			kind += " (" + id.Scope + ")"
		}
		status := ""
		if id.Status != scv.StatusLinking {
			status = "  [" + string(id.Status) + ": links nothing]"
		}
		fmt.Fprintf(w, "    %-30s %s%s\n", kind, id.Value, status)
	}
	fmt.Fprintf(w, "  sources (%d)\n", len(p.Sources))
	for _, s := range p.Sources {
		fmt.Fprintf(w, "    %-46s %s\n", string(s.Channel)+"/"+s.Source+"/"+s.RecordID, day(s.Observed))
	}
	if len(p.Fields) > 0 {
		fmt.Fprintf(w, "  fields\n")
	}
	for _, f := range p.Fields {
		fmt.Fprintf(w, "    %-10s %s  (from %s, %s; %d record%s)\n",
			f.Name, f.Value, f.From.Record, day(f.From.Observed), f.Records, plural(f.Records))
		for _, a := range f.Alternatives {
			fmt.Fprintf(w, "    %-10s   also %s  (from %s, %s)\n", "", a.Value, a.From.Record, day(a.From.Observed))
		}
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// writeCounts prints a count map, largest first, indented under a title;
// nothing when the map is empty.
func writeCounts[K ~string](w io.Writer, title string, m map[K]int) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(w, "%s\n", title)
	for _, k := range byCountDesc(m) {
		fmt.Fprintf(w, "  %-20s %6d\n", k, m[k])
	}
}

// writeSummary prints what an import did.
func writeSummary(w io.Writer, sum scv.Summary) {
	q := 0
	for _, n := range sum.Quarantined {
		q += n
	}
	fmt.Fprintf(w, "read %d, accepted %d (%d unchanged, %d updated, %d stale), quarantined %d\n", sum.Read, sum.Accepted, sum.Unchanged, sum.Updated, sum.Stale, q)
	writeCounts(w, "quarantined by reason", sum.Quarantined)
	fmt.Fprintf(w, "profiles created %d, merged %d\n", sum.ProfilesCreated, sum.ProfilesMerged)
	if sum.Receivers > 0 {
		fmt.Fprintf(w, "receiver records %d (the people orders were shipped to)\n", sum.Receivers)
	}
	writeCounts(w, "warnings by reason (field dropped, record kept)", sum.Warnings)
}

// isTerminal reports whether w is a terminal, where a progress line may
// be redrawn.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// progressInterval is the least time between two redraws.
const progressInterval = 100 * time.Millisecond

// progress draws one line on a terminal, redrawn at most every
// progressInterval: the file being read, records read so far, their rate
// and, for a regular file, the share of its bytes read. The zero value
// draws nothing: calls on a nil *progress are no-ops.
type progress struct {
	w   io.Writer
	now func() time.Time

	name         string
	index, files int
	size         int64        // bytes; 0 when unknown
	bytes        *countReader // bytes read of the current file
	records      int          // records read of the current file
	start, drawn time.Time    // when the file started, when last drawn
	shown        bool         // a line is on screen
}

// newProgress returns a progress line on w, or nil when w is not a
// terminal.
func newProgress(w io.Writer, now func() time.Time) *progress {
	if !isTerminal(w) {
		return nil
	}
	return &progress{w: w, now: now}
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// file starts the line of a new file and returns r wrapped to count its
// bytes.
func (p *progress) file(name string, index, files int, size int64, r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	p.name, p.index, p.files, p.size = name, index, files, size
	p.bytes = &countReader{r: r}
	p.records = 0
	p.start = p.now()
	p.drawn = time.Time{}
	return p.bytes
}

// record counts one record read and redraws if the last drawing is old
// enough.
func (p *progress) record() {
	if p == nil {
		return
	}
	p.records++
	if now := p.now(); now.Sub(p.drawn) >= progressInterval {
		p.draw(now)
	}
}

// draw redraws the line.
func (p *progress) draw(now time.Time) {
	p.drawn = now
	line := fmt.Sprintf("[%d/%d] %s  %s records", p.index, p.files, p.name, thousands(int64(p.records)))
	if el := now.Sub(p.start); el >= progressInterval {
		line += fmt.Sprintf("  %s/s", thousands(int64(float64(p.records)/el.Seconds())))
	}
	if p.size > 0 && p.bytes != nil {
		line += fmt.Sprintf("  %d%%", min(100, p.bytes.n*100/p.size))
	}
	p.shown = true
	// \r returns to the start of the line, ESC [K clears the rest of it.
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
}

// done clears the line at the end of a file.
func (p *progress) done() {
	if p == nil || !p.shown {
		return
	}
	fmt.Fprint(p.w, "\r\x1b[K")
	p.shown = false
}

// engineLogger returns the logger for the engine's warnings and errors:
// one "level=WARN msg=..." line each on w, without timestamps.
func engineLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: slog.LevelWarn,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// heldWriter keeps what is written to it while held, and writes through
// to w once released.
type heldWriter struct {
	mu   sync.Mutex
	w    io.Writer
	held bool
	buf  []byte
}

func (h *heldWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.held {
		h.buf = append(h.buf, p...)
		return len(p), nil
	}
	return h.w.Write(p)
}

// release stops holding: what was kept is written if keep, else dropped.
func (h *heldWriter) release(keep bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if keep && len(h.buf) > 0 {
		h.w.Write(h.buf)
	}
	h.buf, h.held = nil, false
}
