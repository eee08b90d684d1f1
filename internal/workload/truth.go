package workload

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/scv-go/scv/identity"
)

// Person is the ground truth about one generated person.
type Person struct {
	// ID names the person in the ground truth: "P" and the 1-based index
	// in seven or more digits.
	ID string
	// Phone is the person's own mobile number in E.164 form. Every person
	// has one; see PhoneKnown.
	Phone string
	// PhoneKnown reports whether an accepted record carries Phone as an
	// identifier, so that a lookup by phone must find the person.
	PhoneKnown bool
	// Channels are the channels of the person's records, in the order of
	// identity's channel constants (wechat, weibo, ecommerce, pos, csv).
	Channels []identity.Channel
	// Records and Accepted count the person's records: all, and those
	// identity.Decode accepts (the others are quarantined).
	Records, Accepted int
	// PaidOrders and SpendFen are what the person bought: orders and
	// receipts of accepted records whose latest state is paid, each
	// counted once, and their amounts in fen (all in CNY).
	PaidOrders int
	SpendFen   int64
}

// MultiChannel reports whether the person was seen on two or more
// channels.
func (p *Person) MultiChannel() bool { return len(p.Channels) >= 2 }

// Person returns the ground truth about person i, for 0 <= i <
// [Generator.NumPeople]; other indexes panic.
func (g *Generator) Person(i int) Person {
	if i < 0 || i >= g.people {
		panic(errBadIndex)
	}
	if g.traps != nil {
		return g.trapPerson(i)
	}
	s := newScratch()
	g.generate(&s.p, i, s.pcg, s.r)
	return g.truth(&s.p)
}

// People returns the ground truth about every person, in index order.
func (g *Generator) People() iter.Seq[Person] {
	return func(yield func(Person) bool) {
		if g.traps != nil {
			for i := range g.people {
				if !yield(g.trapPerson(i)) {
					return
				}
			}
			return
		}
		s := newScratch()
		for i := range g.people {
			g.generate(&s.p, i, s.pcg, s.r)
			if !yield(g.truth(&s.p)) {
				return
			}
		}
	}
}

func personID(i int) string { return fmt.Sprintf("P%07d", i+1) }

// fileChannel is the identity channel of a file's records.
func fileChannel(file int) identity.Channel {
	switch files[file].Format {
	case identity.FormatWeChat:
		return identity.ChannelWeChat
	case identity.FormatWeibo:
		return identity.ChannelWeibo
	case identity.FormatEcommerce:
		return identity.ChannelEcommerce
	case identity.FormatPOS:
		return identity.ChannelPOS
	}
	return identity.ChannelCSV
}

var channelOrder = []identity.Channel{identity.ChannelWeChat, identity.ChannelWeibo, identity.ChannelEcommerce, identity.ChannelPOS, identity.ChannelCSV}

func (g *Generator) truth(p *person) Person {
	t := Person{ID: personID(p.idx), Phone: e164(p.prefix, p.suffix)}
	var seen [5]bool
	for _, l := range p.lines[:p.nLines] {
		seen[slices.Index(channelOrder, fileChannel(int(l.file)))] = true
		t.Records++
		if l.reason == "" {
			t.Accepted++
			t.PhoneKnown = t.PhoneKnown || p.carriesPhone(&l)
		}
	}
	for k, ok := range seen {
		if ok {
			t.Channels = append(t.Channels, channelOrder[k])
		}
	}
	if p.chans&chEcommerce != 0 {
		for _, tr := range p.trades[:p.nTrades] {
			if tr.kind.finalPaid() {
				t.PaidOrders++
				t.SpendFen += tr.amount()
			}
		}
	}
	if p.chans&chPOS != 0 {
		for _, rc := range p.receipts[:p.nReceipts] {
			if !rc.refunded {
				t.PaidOrders++
				t.SpendFen += rc.amount
			}
		}
	}
	return t
}

// carriesPhone reports whether line l carries p's own mobile unmasked.
func (p *person) carriesPhone(l *line) bool {
	switch l.kind {
	case lineOA, lineFan:
		return false
	case lineTaobao, lineJD:
		return !p.trades[l.ref].masked
	case lineRegistration:
		return p.posRegPh == typedReal
	case lineReceipt:
		return p.receipts[l.ref].typed == typedReal
	}
	return true
}

// Line is the ground truth about one record of a workload file.
type Line struct {
	File   string             // the file's name, as in [File]
	Line   int                // its line or JSON array element, as identity.Decode numbers it
	Key    identity.RecordKey // the record's key; several lines may share one (a refund, a re-sent order, a lead)
	Person string             // the person's ID
	// Reason is the reason identity.Decode quarantines the record, or ""
	// when it accepts it.
	Reason identity.Reason
	// Traps are the record's traps, in a trap workload (Config.Traps).
	Traps Trap
	// Receiver is, for an order of a trap workload, the ID of the person
	// it was shipped to (the buyer, or a gift's receiver): the person of
	// the order's receiver record (merge.ReceiverRecords).
	Receiver string
}

// Lines returns the ground truth about every record of file f, in file
// order.
func (g *Generator) Lines(f File) iter.Seq[Line] {
	return func(yield func(Line) bool) {
		idx := slices.Index(files, f)
		if idx < 0 {
			return
		}
		if g.traps != nil {
			g.trapLines(idx, yield)
			return
		}
		c := g.cursor(idx)
		var buf []byte
		for {
			p, l, ok := c.step()
			if !ok {
				return
			}
			buf = g.appendRecordID(buf[:0], p, l)
			key := identity.RecordKey{Channel: fileChannel(idx), Source: f.Source, ID: string(buf)}
			switch {
			case key.Source != "":
			case idx == fileTaobao: // e-commerce records default to their platform
				key.Source = identity.PlatformTaobao
			case idx == fileJD:
				key.Source = identity.PlatformJD
			default:
				key.Source = string(f.Format)
			}
			if !yield(Line{File: f.Name, Line: lineNumber(idx, c.n), Key: key, Person: personID(p.idx), Reason: l.reason}) {
				return
			}
		}
	}
}

// appendRecordID appends the source record id identity.Decode gives line l.
func (g *Generator) appendRecordID(b []byte, p *person, l *line) []byte {
	switch l.kind {
	case lineOA:
		return g.token(append(b, appOA+"/"...), "oOAx", p.idx, saltOpenID)
	case lineMP:
		return g.token(append(b, appMP+"/"...), "oMPx", p.idx, saltMPOpenID)
	case lineFan, lineLead:
		return strconv.AppendUint(b, g.weiboUID(p.idx), 10)
	case lineTaobao:
		return strconv.AppendUint(b, tid(p.idx, int(l.ref)), 10)
	case lineJD:
		return appendJDOrderID(b, p.idx, int(l.ref))
	case lineRegistration:
		return appendMember(append(appendStoreID(b, p), "/member/"...), p.idx)
	case lineReceipt:
		return appendReceiptNo(append(appendStoreID(b, p), '/'), p, int(l.ref))
	case lineCRM:
		return appendPadded(append(b, 'C'), uint64(p.idx)+1, 8)
	}
	return appendPadded(append(b, "NPS-"...), uint64(p.idx)+1, 8)
}

// writeLineTruth writes truth/records.csv: file, line, record_key, person
// and expect (accepted, or the quarantine reason) for every record.
func (g *Generator) writeLineTruth(w io.Writer) error {
	bw := bufio.NewWriter(w)
	if g.traps != nil {
		bw.WriteString("file,line,record_key,person,expect,traps\n")
	} else {
		bw.WriteString("file,line,record_key,person,expect\n")
	}
	for _, f := range files {
		for l := range g.Lines(f) {
			expect := string(l.Reason)
			if expect == "" {
				expect = "accepted"
			}
			b := bw.AvailableBuffer()
			b = append(b, l.File...)
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(l.Line), 10)
			b = append(b, ',')
			b = appendCSV(b, []byte(l.Key.String()))
			b = append(b, ',')
			b = append(b, l.Person...)
			b = append(b, ',')
			b = append(b, expect...)
			if g.traps != nil {
				b = append(b, ',')
				b = append(b, l.Traps.String()...)
			}
			b = append(b, '\n')
			if _, err := bw.Write(b); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// writePeopleTruth writes truth/people.csv: one row per person with the
// fields of [Person].
func (g *Generator) writePeopleTruth(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("person,phone,phone_known,channels,records,accepted,paid_orders,spend_fen\n")
	var chans []string
	for p := range g.People() {
		chans = chans[:0]
		for _, c := range p.Channels {
			chans = append(chans, string(c))
		}
		fmt.Fprintf(bw, "%s,%s,%t,%s,%d,%d,%d,%d\n", p.ID, p.Phone, p.PhoneKnown, strings.Join(chans, "+"),
			p.Records, p.Accepted, p.PaidOrders, p.SpendFen)
	}
	return bw.Flush()
}

// PhoneSpellings returns n phone numbers of the workload's people, spelled
// the ways the workload's records spell them (plain, +86, 0086, spaced,
// dashed, full-width, ...) in the same proportions: inputs for comparing
// phone parsers. The same generator and n give the same slice.
func (g *Generator) PhoneSpellings(n int) []string {
	s := newScratch()
	s.pcg.Seed(g.seed, 0)
	out := make([]string, n)
	var b []byte
	for k := range out {
		pre, suf := g.phoneOf(s.r.IntN(g.people))
		b = appendSpelled(b[:0], uint8(spellPick.pick(s.r)), pre, suf)
		out[k] = string(b)
	}
	return out
}
