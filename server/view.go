package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scv-go/scv"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// profileView is a profile as the API answers it: everything but the
// merge detail, personal fields masked unless the token's purpose is
// internal.
type profileView struct {
	ID          string               `json:"id"`
	Phones      []string             `json:"phones"`
	Name        string               `json:"name,omitempty"`
	Stage       scv.Stage            `json:"stage"`
	Risk        scv.Risk             `json:"risk"`
	Metrics     scv.Metrics          `json:"metrics"`
	Consent     map[scv.Purpose]bool `json:"consent"`
	Sources     []scv.Source         `json:"sources"`
	Identifiers []scv.Identifier     `json:"identifiers"`
	Fields      []fieldView          `json:"fields"`
	FirstSeen   time.Time            `json:"first_seen,omitzero"`
	LastSeen    time.Time            `json:"last_seen,omitzero"`
	AsOf        time.Time            `json:"as_of"`
	Masked      bool                 `json:"masked"`
}

// fieldView is one surviving field with its provenance.
type fieldView struct {
	Name    string    `json:"name"`
	Value   string    `json:"value"`
	Record  string    `json:"record"` // the source record stating it, channel/source/id
	Seen    time.Time `json:"observed,omitzero"`
	Records int       `json:"records"`
}

// allowed reports whether a token may receive p: internal tokens see
// every profile, the others only those with consent for their purpose.
func allowed(tok scv.Token, p *scv.Profile) bool {
	return tok.Purpose == scv.PurposeInternal || p.Consent[tok.Purpose]
}

// check returns the answer to a token that may not receive p: the 404
// not_found of a profile that is not there, so that a token without
// consent cannot learn that the person is a customer.
func check(tok scv.Token, p *scv.Profile) error {
	if !allowed(tok, p) {
		return notFound()
	}
	return nil
}

// notFound is the answer of a profile that is not there, or not there
// for the token asking.
func notFound() *Error { return errorf(http.StatusNotFound, "not_found", "no profile matches") }

// view returns p as tok may see it. The caller has checked [allowed].
func view(tok scv.Token, p *scv.Profile) *profileView {
	mask := tok.Purpose != scv.PurposeInternal
	v := &profileView{ID: p.ID, Name: p.Name, Stage: p.Stage, Risk: p.Risk, Metrics: p.Metrics, Consent: p.Consent,
		Sources: p.Sources, FirstSeen: p.FirstSeen, LastSeen: p.LastSeen, AsOf: p.AsOf, Masked: mask,
		Phones: p.Phones, Identifiers: p.Identifiers, Fields: make([]fieldView, 0, len(p.Fields))}
	if v.Phones == nil {
		v.Phones = []string{}
	}
	if v.Identifiers == nil {
		v.Identifiers = []scv.Identifier{}
	}
	for _, f := range p.Fields {
		v.Fields = append(v.Fields, fieldView{Name: string(f.Name), Value: f.Value, Record: f.From.Record.String(), Seen: f.From.Observed, Records: f.Records})
	}
	if !mask {
		return v
	}
	// Masking writes copies: v shares the slices of p until here.
	v.Phones, v.Identifiers = slices.Clone(v.Phones), slices.Clone(v.Identifiers)
	v.Name = maskName(v.Name)
	for i, ph := range v.Phones {
		v.Phones[i] = maskPhone(ph)
	}
	for i, id := range v.Identifiers {
		if id.Kind == "phone" {
			v.Identifiers[i].Value = maskPhone(id.Value)
		} else {
			v.Identifiers[i].Value = maskID(id.Value)
		}
	}
	for i, f := range v.Fields {
		v.Fields[i].Value = maskField(f.Name, f.Value)
	}
	return v
}

// maskPhone keeps a mobile number's first three and last four national
// digits: +8613812345601 is 138****5601.
func maskPhone(e164 string) string {
	n := strings.TrimPrefix(e164, "+86")
	if n == e164 {
		n = strings.TrimPrefix(e164, "+")
	}
	if len(n) < 8 {
		return strings.Repeat("*", len(n))
	}
	return n[:3] + strings.Repeat("*", len(n)-7) + n[len(n)-4:]
}

// maskName keeps a name's first character: 王芳 is 王*, Wang Fang W*.
func maskName(s string) string {
	if s == "" {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(s)
	return string(r) + "*"
}

// maskID keeps the first two and last two characters of a channel id.
func maskID(s string) string {
	if len(s) <= 6 {
		return "****"
	}
	return s[:2] + "****" + s[len(s)-2:]
}

// maskField masks the personal survivorship fields; gender, region and
// language stay, which segments need.
func maskField(name, value string) string {
	switch name {
	case "name", "nickname":
		return maskName(value)
	case "phone":
		return maskPhone(value)
	case "email":
		if at := strings.LastIndexByte(value, '@'); at > 0 {
			return maskName(value[:at]) + value[at:]
		}
		return "****"
	case "birthday":
		if len(value) >= 4 {
			return value[:4] + "-**-**"
		}
		return "****"
	case "district":
		return "****"
	}
	return value
}
