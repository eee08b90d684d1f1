package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/store"
)

// query is what "scv get" looks for: a profile id, a record key, a phone
// number or another identifier. It keeps the value the operator typed
// for the lookup only: errors name its kind, never the value.
type query struct {
	arg, region string
	profileID   bool
	record      *identity.RecordKey
	id          *identity.Identifier // a non-phone identifier
}

// parseQuery reads get's argument: with kind, an identifier of that kind
// ("weibo" is weibo_uid); without, a profile id (32 hex digits), a record
// key (channel/source/id) or a phone number.
func parseQuery(arg, kind, scope, region string) (*query, error) {
	q := &query{arg: arg, region: region}
	if kind == "weibo" {
		kind = identity.KindWeiboUID.String()
	}
	if kind == "" {
		switch {
		case isProfileID(arg):
			q.profileID = true
		case strings.Contains(arg, "/"):
			k, err := identity.ParseRecordKey(arg)
			if err != nil {
				return nil, usageError("get: not a record key: want channel/source/id, as \"scv get\" lists a profile's sources")
			}
			q.record = &k
		}
		return q, nil
	}
	k, err := identity.ParseKind(kind)
	if err != nil {
		return nil, usageError("get: unknown --kind %s: want one of unionid, openid, member, buyer, weibo, email, phone", shown(kind))
	}
	id := identity.Identifier{Kind: k, Value: strings.TrimSpace(arg)}
	switch {
	case k == identity.KindPhone:
		return q, nil
	case k == identity.KindEmail:
		if id.Value, err = identity.NormaliseEmail(arg); err != nil {
			return nil, usageError("get: not an email address")
		}
	case k.Scoped():
		if scope == "" {
			return nil, usageError("get: a %s identifier needs --scope (%s)", k, scopeHelp[k])
		}
		id.Scope = scope
	}
	if scope != "" && !k.Scoped() {
		return nil, usageError("get: a %s identifier has no scope: drop --scope", k)
	}
	q.id = &id
	return q, nil
}

// scopeHelp says what the scope of each scoped kind is.
var scopeHelp = map[identity.Kind]string{
	identity.KindOpenID: "the app id",
	identity.KindMember: "the member number's source, such as pos or csv",
	identity.KindBuyer:  "the platform, taobao or jd",
}

// what names the query's kind for messages.
func (q *query) what() string {
	switch {
	case q.id != nil:
		return q.id.Kind.String() + " identifier"
	case q.record != nil:
		return "record"
	case q.profileID:
		return "profile id"
	}
	return "phone number"
}

// find returns the profiles the query names: one, or every profile a
// phone or identifier is on when protection keeps them apart. None is an
// error (exit status 1).
func (q *query) find(ctx context.Context, db *scv.DB) ([]*scv.Profile, error) {
	var p *scv.Profile
	var err error
	switch {
	case q.profileID:
		p, err = lookup(ctx, db, q.arg, q.region)
	case q.record != nil:
		p, err = db.ByRecord(ctx, *q.record)
		if errors.Is(err, scv.ErrNotFound) {
			return nil, notFound("no profile holds that record")
		}
	case q.id != nil:
		p, err = db.ByIdentifier(ctx, *q.id)
		switch {
		case errors.Is(err, scv.ErrNotFound):
			return nil, notFound("no profile has that %s", q.id.Kind)
		case errors.Is(err, scv.ErrHub):
			return nil, notFound("that %s is a shared placeholder (a hub): it identifies no one", q.id.Kind)
		}
	default:
		p, err = db.ByPhone(ctx, q.arg)
		var amb *store.AmbiguousError
		if err != nil && !errors.As(err, &amb) {
			return nil, phoneError(err, q.region)
		}
	}
	var amb *store.AmbiguousError
	if errors.As(err, &amb) {
		ps := make([]*scv.Profile, 0, len(amb.Profiles))
		for _, id := range amb.Profiles {
			p, err := db.ByID(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("profile %s: %w", id, err)
			}
			ps = append(ps, p)
		}
		return ps, nil
	}
	if err != nil {
		return nil, err
	}
	return []*scv.Profile{p}, nil
}

// provenanceOut is a field value's provenance: the record key as
// "channel/source/id".
type provenanceOut struct {
	Record   string `json:"record"`
	Observed string `json:"observed,omitempty"`
}

// alternativeOut is a value of a field that did not survive.
type alternativeOut struct {
	Value   string        `json:"value"`
	From    provenanceOut `json:"from"`
	Records int           `json:"records"`
}

// fieldOut is a surviving field value with its provenance.
type fieldOut struct {
	Name         string           `json:"name"`
	Value        string           `json:"value"`
	From         provenanceOut    `json:"from"`
	Records      int              `json:"records"`
	Alternatives []alternativeOut `json:"alternatives,omitempty"`
}

// profileJSONOut is the profile JSON get, stage and export print: the
// profile's keys, with each field's provenance naming its record by key,
// and with --detail the history behind its totals.
type profileJSONOut struct {
	*scv.Profile
	Fields []fieldOut `json:"fields"`
	*scv.History
}

func provenance(p scv.Provenance) provenanceOut {
	out := provenanceOut{Record: p.Record.String()}
	if !p.Observed.IsZero() {
		out.Observed = p.Observed.UTC().Format(time.RFC3339Nano)
	}
	return out
}

// profileOut returns the JSON form of p, with h when not nil.
func profileOut(p *scv.Profile, h *scv.History) profileJSONOut {
	out := profileJSONOut{Profile: p, Fields: make([]fieldOut, 0, len(p.Fields)), History: h}
	for _, f := range p.Fields {
		fo := fieldOut{Name: string(f.Name), Value: f.Value, From: provenance(f.From), Records: f.Records}
		for _, a := range f.Alternatives {
			fo.Alternatives = append(fo.Alternatives, alternativeOut{Value: a.Value, From: provenance(a.From), Records: a.Records})
		}
		out.Fields = append(out.Fields, fo)
	}
	return out
}

// writeHistory prints the orders, interactions, surveys and stage
// history of get --detail.
func writeHistory(w io.Writer, h *scv.History) {
	fmt.Fprintf(w, "  orders (%d)\n", len(h.Orders))
	for _, o := range h.Orders {
		fmt.Fprintf(w, "    %s  %-10s %12s  %s\n", day(o.Time), o.Status, money(o.AmountFen, o.Currency), o.Record)
	}
	fmt.Fprintf(w, "  interactions (%d)\n", len(h.Interactions))
	for _, i := range h.Interactions {
		fmt.Fprintf(w, "    %s  %-12s %s\n", day(i.Time), i.Type, i.Record)
	}
	fmt.Fprintf(w, "  surveys (%d)\n", len(h.Surveys))
	for _, s := range h.Surveys {
		fmt.Fprintf(w, "    %s  %-4s %2d  %s\n", day(s.Time), s.Kind, s.Score, s.Record)
	}
	fmt.Fprintf(w, "  stage history\n")
	for _, c := range h.Stages {
		from, why := string(c.From), c.Record
		if from == "" {
			from = "-"
		}
		if why == "" {
			why = "(time passed)"
		}
		fmt.Fprintf(w, "    %s  %-14s -> %-14s %s\n", day(c.Time), from, c.To, why)
	}
}
