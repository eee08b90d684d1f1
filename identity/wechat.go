package identity

import (
	"strings"
	"time"
)

// decodeWeChat maps a WeChat user-info object, as the package
// documentation describes.
func decodeWeChat(b *builder, o jsonObject) {
	openid := b.requiredID(o, "openid")
	appid := cleanText(b.text(o, "appid"))
	if appid != "" && !isToken(appid) {
		b.warn("appid", ReasonInvalidValue) // an appid is wx and 16 hex digits
		appid = ""
	}
	if openid != "" {
		b.rec.ID = openid
		scope := b.c.source
		if appid != "" {
			b.rec.ID = appid + "/" + openid
			scope = appid
		}
		b.identifier(KindOpenID, scope, openid)
	}
	b.identifier(KindUnionID, "", b.text(o, "unionid"))

	if pi, ok := o.object("phone_info"); !ok {
		b.warn("phone_info", ReasonInvalidValue)
	} else if pi != nil {
		pure, cc := b.textIn(pi, "phone_info.", "purePhoneNumber"), b.textIn(pi, "phone_info.", "countryCode")
		if pure != "" && cc != "" {
			b.phone("phone_info", "+"+strings.TrimPrefix(cc, "+")+" "+pure)
		} else if full := b.textIn(pi, "phone_info.", "phoneNumber"); full != "" {
			b.phone("phone_info", full)
		} else {
			b.phone("phone_info", pure)
		}
	}

	b.nickname("nickname", b.text(o, "nickname"))
	if sex := b.text(o, "sex"); sex != "" {
		g, reason := parseGender(sex, wechatGender)
		if reason != "" {
			b.warn("sex", reason)
		}
		b.rec.Attributes.Gender = g
	}
	a := &b.rec.Attributes
	a.Language = b.text(o, "language")
	a.Country = cleanText(b.text(o, "country"))
	b.region(b.text(o, "province"), b.text(o, "city"))
	a.Remark = cleanFreeText(b.text(o, "remark"))
	if tags, ok := o.array("tagid_list"); !ok {
		b.warn("tagid_list", ReasonInvalidValue)
	} else {
		for _, t := range tags {
			s, ok := rawString(t)
			if !ok || cleanText(s) == "" {
				b.warn("tagid_list", ReasonInvalidValue)
				continue
			}
			a.Tags = append(a.Tags, cleanText(s))
		}
	}

	var subscribed time.Time
	if st := b.text(o, "subscribe_time"); st != "" {
		t, err := parseUnix(st, b.c.loc)
		if err != nil {
			b.warn("subscribe_time", ReasonInvalidTime)
		}
		subscribed = t
		b.observe(t)
	}
	switch sub := b.text(o, "subscribe"); sub {
	case "1":
		b.rec.Interactions = append(b.rec.Interactions, Interaction{
			Type:   InteractionFollow,
			Time:   subscribed,
			Detail: cleanText(b.text(o, "subscribe_scene")),
		})
	case "", "0":
	default:
		b.warn("subscribe", ReasonInvalidValue)
	}
}

// requiredID returns the record-id field key, quarantining the record when
// it is absent, empty or not a string or number.
func (b *builder) requiredID(o jsonObject, key string) string {
	s, ok := o.str(key)
	s = cleanText(s)
	switch {
	case !ok:
		b.quarantine(key, ReasonMalformed, errNotScalar)
	case s == "":
		b.quarantine(key, ReasonMissingID, nil)
	}
	return s
}

// text returns the trimmed text of an optional field; a value of the wrong
// type (an object or array) is dropped with a warning.
func (b *builder) text(o jsonObject, key string) string { return b.textIn(o, "", key) }

// textIn is text for a nested object; prefix names it in warnings, such as
// "consigneeInfo." or "orders[2].".
func (b *builder) textIn(o jsonObject, prefix, key string) string {
	s, ok := o.str(key)
	if !ok {
		b.warn(prefix+key, ReasonInvalidValue)
		return ""
	}
	return strings.TrimSpace(s)
}

// isToken reports whether s is made of ASCII letters, digits, '_' and '-'
// only, as appids are; such a value is safe as an identifier scope and in a
// record id.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return s != ""
}
