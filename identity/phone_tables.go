package identity

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/nyaruka/phonenumbers"
)

// newFastTables compiles what the fast path needs of one region's
// metadata md: its number descriptions, possible lengths, leading digits,
// international prefix and national prefix.
func newFastTables(md *phonenumbers.PhoneMetadata) (*fastTables, error) {
	var err error
	t := &fastTables{
		sameMobileAndFixed: md.GetSameMobileAndFixedLinePattern(),
		possible:           md.GetGeneralDesc().GetPossibleLength(),
		localOnly:          md.GetGeneralDesc().GetPossibleLengthLocalOnly(),
	}
	if len(t.possible) == 0 {
		return nil, errors.New("identity: " + md.GetId() + " metadata: no possible lengths")
	}
	for _, c := range []struct {
		dst  *numberDesc
		desc *phonenumbers.PhoneNumberDesc
	}{
		{&t.general, md.GetGeneralDesc()},
		{&t.premium, md.GetPremiumRate()},
		{&t.tollFree, md.GetTollFree()},
		{&t.shared, md.GetSharedCost()},
		{&t.voip, md.GetVoip()},
		{&t.personal, md.GetPersonalNumber()},
		{&t.pager, md.GetPager()},
		{&t.uan, md.GetUan()},
		{&t.voicemail, md.GetVoicemail()},
		{&t.fixed, md.GetFixedLine()},
		{&t.mobile, md.GetMobile()},
	} {
		if *c.dst, err = newNumberDesc(c.desc); err != nil {
			return nil, fmt.Errorf("identity: %s metadata: %w", md.GetId(), err)
		}
	}
	// Only the mainland fast path reads an international prefix.
	t.idd, _ = compileDigitDFA(md.GetInternationalPrefix())
	if p := md.GetNationalPrefixForParsing(); p != "" {
		if t.prefixRE, err = regexp.Compile("^(?:" + p + ")"); err != nil {
			return nil, fmt.Errorf("identity: %s national prefix: %w", md.GetId(), err)
		}
		t.transform = md.GetNationalPrefixTransformRule() != ""
		// An automaton decides the plain trunk prefix; where the pattern
		// is none (Japan's ends with "$"), phonenumbers' regexp does.
		t.npfp, _ = compileDigitDFA(p)
		// The trunk prefix may be stripped without phonenumbers' regexp
		// only if that regexp matches it whole with no group taking part:
		// then nothing is rewritten and no carrier code is recorded.
		np := md.GetNationalPrefix()
		if loc := t.prefixRE.FindStringSubmatchIndex(np); np != "" && loc != nil && loc[0] == 0 && loc[1] == len(np) && noGroup(loc) {
			t.trunk = np
		}
	}
	if ld := md.GetLeadingDigits(); ld != "" {
		if t.leading, err = compileDigitDFA(ld); err != nil {
			return nil, fmt.Errorf("identity: %s leading digits: %w", md.GetId(), err)
		}
	}
	return t, nil
}

func noGroup(loc []int) bool {
	for _, i := range loc[2:] {
		if i >= 0 {
			return false
		}
	}
	return true
}
