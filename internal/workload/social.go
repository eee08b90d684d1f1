package workload

import "strconv"

// WeChat and Weibo records.

// appendOA appends p's official-account user-info object. An unfollowed
// user (subscribe 0) is only ids, as WeChat returns it.
func appendOA(b []byte, g *Generator, p *person) []byte {
	o := jsonObject{b: b}
	rg := &regions[p.region]
	if !p.wcSub {
		o.num("subscribe", 0)
		o.strFn("openid", func(b []byte) []byte { return g.token(b, "oOAx", p.idx, saltOpenID) })
		o.strFn("unionid", func(b []byte) []byte { return g.token(b, "oU9r", p.idx, saltUnionID) })
		o.raw("tagid_list", "[]")
		o.str("appid", appOA)
		return o.end()
	}
	o.num("subscribe", 1)
	o.strFn("openid", func(b []byte) []byte { return g.token(b, "oOAx", p.idx, saltOpenID) })
	o.strFn("nickname", func(b []byte) []byte { return appendNickname(b, p) })
	sex := int64(1)
	switch {
	case p.wcSex == 0:
		sex = 0 // not stated: a placeholder
	case p.female:
		sex = 2
	}
	o.num("sex", sex)
	o.str("language", "zh_CN")
	o.str("city", rg.city)
	o.str("province", rg.province)
	o.str("country", "中国")
	o.strFn("headimgurl", func(b []byte) []byte {
		b = append(b, "http://thirdwx.qlogo.cn/mmopen/"...)
		return append(appendBase62(b, g.hash(p.idx, saltOpenID+1), 12), "/132"...)
	})
	o.num("subscribe_time", p.t0)
	o.strFn("unionid", func(b []byte) []byte { return g.token(b, "oU9r", p.idx, saltUnionID) })
	remark := ""
	if p.wcNickB%10 == 0 {
		remark = "VIP"
	}
	o.str("remark", remark)
	o.num("groupid", 0)
	o.raw("tagid_list", [...]string{"[]", "[101]", "[101, 105]", "[103]"}[p.wcTags])
	o.str("subscribe_scene", subscribeScenes[p.wcScene])
	o.num("qr_scene", 0)
	o.str("qr_scene_str", "")
	o.str("appid", appOA)
	return o.end()
}

// appendNickname appends p's WeChat nickname in one of the styles people
// choose, or the placeholder 微信用户 WeChat shows for users who share
// none.
func appendNickname(b []byte, p *person) []byte {
	gc := givenChars(p)
	suffix := nickSuffixes[int(p.wcNickB)%len(nickSuffixes)]
	switch p.wcNick {
	case 0: // 娜娜
		return append(append(b, gc[p.g1]...), gc[p.g1]...)
	case 1: // 小芳
		return append(append(append(b, "小"...), gc[p.g1]...), suffix...)
	case 2: // Fiona🌸
		return append(appendEnglish(b, p, p.wcNickA), suffix...)
	case 3: // 深圳芳芳
		return append(append(append(b, regions[p.region].city...), gc[p.g1]...), gc[p.g1]...)
	case 4:
		return appendName(b, p)
	case 5:
		return append(b, "微信用户"...)
	case 6: // Fiona王
		return append(appendEnglish(b, p, p.wcNickA), surnames[p.sur].name...)
	case 7: // 芳✨
		return append(append(b, gc[p.g1]...), suffix...)
	}
	return append(appendGiven(b, p), "的小窝"...)
}

// appendMP appends p's mini-program record: the openid of the mini
// program, the unionid shared with the official account, and the phone
// the phone API returned.
func appendMP(b []byte, g *Generator, p *person) []byte {
	o := jsonObject{b: b}
	o.str("appid", appMP)
	o.strFn("openid", func(b []byte) []byte { return g.token(b, "oMPx", p.idx, saltMPOpenID) })
	o.strFn("unionid", func(b []byte) []byte { return g.token(b, "oU9r", p.idx, saltUnionID) })
	o.key("phone_info")
	pi := jsonObject{b: o.b}
	switch p.wcMPForm {
	case 0, 1:
		pi.strFn("phoneNumber", func(b []byte) []byte {
			if p.wcMPForm == 0 {
				b = append(b, "+86"...)
			}
			return appendPhone(b, p.prefix, p.suffix)
		})
		pi.strFn("purePhoneNumber", func(b []byte) []byte { return appendPhone(b, p.prefix, p.suffix) })
		pi.str("countryCode", "86")
		pi.key("watermark")
		wm := jsonObject{b: pi.b}
		wm.num("timestamp", p.t0+day)
		wm.str("appid", appMP)
		pi.b = wm.end()
	default:
		pi.strFn("phoneNumber", func(b []byte) []byte { return appendSpelled(b, p.wcSpell+1, p.prefix, p.suffix) })
	}
	o.b = pi.end()
	return o.end()
}

// appendWeibo appends p's Weibo users/show object: as an anonymous fan
// (uid, profile, interactions), or as a lead, a later snapshot of the same
// uid that repeats the interactions (Weibo exports are cumulative), adds
// the lead-form comment and carries the mobile left in the form.
func appendWeibo(b []byte, g *Generator, p *person, lead bool) []byte {
	o := jsonObject{b: b}
	uid := g.weiboUID(p.idx)
	o.num("id", int64(uid))
	o.strFn("idstr", func(b []byte) []byte { return strconv.AppendUint(b, uid, 10) })
	screen := func(b []byte) []byte { return appendScreenName(b, p, uid) }
	o.strFn("screen_name", screen)
	o.strFn("name", screen)
	o.str("province", "44")
	o.str("city", "1")
	rg := &regions[p.region]
	o.strFn("location", func(b []byte) []byte {
		b = append(append(b, rg.province...), ' ')
		if rg.municipality() {
			return append(b, districts[int(p.wbScreen)%len(districts)]...)
		}
		return append(b, rg.city...)
	})
	o.str("description", [...]string{"", "爱生活爱美妆", "", "护肤小白", "", "", "成分党", ""}[p.wbScreen])
	gender := "m"
	if p.female {
		gender = "f"
	}
	o.str("gender", gender)
	o.num("followers_count", int64(p.wbFollowers))
	o.time("created_at", p.wbCreated, weiboLayout)
	o.raw("verified", "false")
	o.key("interactions")
	o.b = append(o.b, '[')
	for j, in := range p.wbInter[:p.wbNInter] {
		if j > 0 {
			o.b = append(o.b, ", "...)
		}
		it := jsonObject{b: o.b}
		it.str("type", weiboKinds[in.kind])
		it.time("created_at", in.at, weiboLayout)
		it.strFn("mid", func(b []byte) []byte {
			return strconv.AppendUint(b, 5_012_000_000_000_000+uint64(p.idx)*8+uint64(j), 10)
		})
		if weiboKinds[in.kind] != "like" {
			it.str("text", weiboTexts[in.text])
		}
		o.b = it.end()
	}
	if lead {
		it := jsonObject{b: append(o.b, ", "...)}
		it.str("type", "comment")
		it.time("created_at", p.wbLeadAt, weiboLayout)
		it.strFn("mid", func(b []byte) []byte { return strconv.AppendUint(b, 5_012_000_000_000_000+uint64(p.idx)*8+7, 10) })
		it.str("text", leadTexts[p.wbLeadText])
		o.b = it.end()
	}
	o.b = append(o.b, ']')
	if lead {
		o.strFn("mobile", func(b []byte) []byte { return appendSpelled(b, p.wbSpell, p.prefix, p.suffix) })
	}
	return o.end()
}

// appendScreenName appends p's Weibo screen name; style 1 is the generated
// 用户<uid> Weibo gives accounts that never chose one, a placeholder.
func appendScreenName(b []byte, p *person, uid uint64) []byte {
	gc := givenChars(p)
	switch p.wbScreen {
	case 1:
		return strconv.AppendUint(append(b, "用户"...), uid, 10)
	case 2:
		return strconv.AppendUint(appendEnglish(b, p, p.wcNickA), uid%1000, 10)
	case 3:
		return append(append(append(b, gc[p.g1]...), gc[p.g1]...), "酱"...)
	case 4:
		return append(append(append(b, surnames[p.sur].name...), "小"...), gc[p.g1]...)
	}
	return append(append(append(b, regions[p.region].city...), "小"...), gc[p.g1]...)
}
