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

// decodeWeibo maps a Weibo users/show object with its lead-form mobile and
// interactions, as the package documentation describes.
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
