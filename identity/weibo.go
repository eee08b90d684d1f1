package identity

import (
	"errors"
	"fmt"
	"time"
)

// weiboTime is the layout of Weibo's created_at, "Mon Jan 02 15:04:05 +0800 2006".
const weiboTime = time.RubyDate

// weiboInteractions maps the types in a Weibo record's interactions list.
var weiboInteractions = map[string]InteractionType{
	"comment": InteractionComment,
	"repost":  InteractionRepost,
	"like":    InteractionLike,
	"mention": InteractionMention,
}

// decodeWeibo maps a Weibo users/show object, with the optional mobile of
// the brand's lead forms and the optional interactions list:
//
//	idstr (or id)     record id and weibo_uid identifier
//	screen_name       Attributes.Nickname (name when screen_name is empty); 用户123... is a placeholder
//	gender            Attributes.Gender: m male, f female, n unknown
//	location          Attributes.Province / City ("广东 深圳"; "北京 朝阳区" gives a district; "海外 美国" a country)
//	province, city    ignored: they are Weibo's numeric codes, not names
//	description       Attributes.Bio
//	followers_count   Attributes.Followers
//	created_at        Attributes.AccountCreated
//	mobile            phone, and a lead_form Interaction: Weibo only has a mobile from a lead form
//	interactions[]    comment / repost / like / mention Interactions: mid as ID, created_at, text
//
// The record's observed time is the latest interaction's created_at, which
// is also the lead form's time; a record without interactions has none.
func decodeWeibo(b *builder, o jsonObject) {
	uid := b.text(o, "idstr")
	if uid == "" {
		uid = b.requiredID(o, "id")
	}
	uid = cleanText(uid)
	switch {
	case uid == "":
	case !digitsOnly(uid):
		// Not an id: it stays out of the error, which may be logged.
		b.quarantine("idstr", ReasonMalformed, errors.New("not a numeric uid"))
	default:
		b.rec.ID = uid
		b.identifier(KindWeiboUID, "", uid)
	}

	nick := b.text(o, "screen_name")
	if cleanText(nick) == "" {
		nick = b.text(o, "name")
	}
	b.nickname("screen_name", nick)
	if g := b.text(o, "gender"); g != "" {
		gender, reason := parseGender(g, weiboGender)
		if reason != "" {
			b.warn("gender", reason)
		}
		b.rec.Attributes.Gender = gender
	}
	a := &b.rec.Attributes
	p := parseLocation(b.text(o, "location"))
	a.Country, a.Province, a.City, a.District = p.country, p.province, p.city, p.district
	a.Bio = cleanFreeText(b.text(o, "description"))
	if fc := b.text(o, "followers_count"); fc != "" {
		n, ok := parseInt(fc)
		if !ok || n < 0 || n > 1<<31 {
			b.warn("followers_count", ReasonInvalidValue)
		} else {
			a.Followers = int(n)
		}
	}
	if ca := b.text(o, "created_at"); ca != "" {
		t, err := time.Parse(weiboTime, cleanText(ca))
		if err != nil {
			b.warn("created_at", ReasonInvalidTime)
		} else {
			a.AccountCreated = t.In(b.c.loc)
		}
	}

	items, ok := o.array("interactions")
	if !ok {
		b.warn("interactions", ReasonInvalidValue)
	}
	for i, raw := range items {
		prefix := fmt.Sprintf("interactions[%d].", i)
		it, ok := parseObject(raw)
		if !ok {
			b.warn(prefix[:len(prefix)-1], ReasonInvalidValue)
			continue
		}
		typ, known := weiboInteractions[cleanText(b.textIn(it, prefix, "type"))]
		if !known {
			b.warn(prefix+"type", ReasonInvalidValue)
			continue
		}
		in := Interaction{Type: typ, ID: cleanText(b.textIn(it, prefix, "mid")), Text: cleanFreeText(b.textIn(it, prefix, "text"))}
		if ca := b.textIn(it, prefix, "created_at"); ca != "" {
			t, err := time.Parse(weiboTime, cleanText(ca))
			if err != nil {
				b.warn(prefix+"created_at", ReasonInvalidTime)
			} else {
				in.Time = t.In(b.c.loc)
				b.observe(in.Time)
			}
		}
		b.rec.Interactions = append(b.rec.Interactions, in)
	}

	if mobile := b.text(o, "mobile"); cleanText(mobile) != "" {
		b.phone("mobile", mobile)
		b.rec.Interactions = append(b.rec.Interactions, Interaction{Type: InteractionLeadForm, Time: b.rec.Observed})
	}
}
