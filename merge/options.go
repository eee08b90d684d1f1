package merge

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scv-go/scv/identity"
)

// Day is 24 hours, the unit of the windows and lifespans in [Options].
const Day = 24 * time.Hour

// Options configure a [Resolver]. The zero value means the defaults
// documented on each field. For every integer, zero means the default and
// a negative value turns the rule off; durations must not be negative,
// except RecycleAfter, which a negative value turns off.
type Options struct {
	// Priority lists, per field, the channels or source names whose values
	// win, highest first; a record's Source is matched before its
	// Channel. Values from unlisted sources rank below listed ones; ties
	// go to the most recently observed record. A field absent from the
	// map uses the default: pos, csv, wechat, weibo, ecommerce for every
	// field (the counter and the CRM type what the customer says; an
	// e-commerce receiver may be a gift's recipient), except nickname
	// (wechat, weibo, ecommerce, pos, csv) and phone (wechat first: its
	// phone_info is verified by WeChat; then pos, csv, ecommerce, weibo).
	Priority map[FieldName][]string

	// Limits caps, per identifier kind, the distinct linking identifiers
	// one profile may hold; for scoped kinds the cap is per scope (one
	// openid per appid). A join that would exceed a cap is refused and
	// recorded as a [Separation]; identifiers a single record carries
	// beyond the cap are excluded. Kinds absent from the map use the
	// defaults: phone 3 (people keep a second phone and a work phone),
	// unionid 1 and weibo_uid 1 (one per person by construction, so two
	// mean two people), openid 1 per appid, member 1 per source, buyer 2
	// per platform (a second shop account is common; more is a shared
	// account), email 3.
	Limits map[identity.Kind]int

	// HubThreshold is how many people, or distinct member numbers, the
	// records carrying one identifier of a HubKinds kind may show before
	// the identifier is flagged a hub: a placeholder typed by staff, not a
	// person. People are counted by package match, not by spelling: 王芳,
	// 王 芳, Wang Fang, 王女士 and 陳芳/陈芳 on one phone are one person.
	// Default 3: a fourth person inconsistent with the other three flags it.
	HubThreshold int
	// HubKinds are the kinds the hub rule watches. Default phone and email,
	// the values staff type when a customer will not give theirs.
	HubKinds []identity.Kind

	// RecycleAfter is the silence after which a phone number may have been
	// reassigned by its operator: when the records carrying a phone after
	// such a silence describe nobody consistent with the people described
	// before it (name, gender, birthday), the phone starts a new person.
	// The earlier profile keeps its records and lists the phone as
	// [StatusRecycled]. Default 180 days; negative turns the rule off. A
	// customer who comes back after a year under the same name is not
	// split.
	RecycleAfter time.Duration

	// Blocked identifiers never link records, whoever carries them.
	Blocked []identity.Identifier

	// Placeholders are field values that lose to every real value in
	// survivorship, compared without case and surrounding space. The
	// identity adapters drop the common ones already; list a source's own
	// (a CRM's "N/A") here. Default: 未知, 不详, 无, 微信用户, unknown, n/a,
	// null, none, test, 测试, "-".
	Placeholders []string

	// Lifespan is the expected customer lifespan for lifetime value.
	// Default 3 years (3 x 365 days).
	Lifespan time.Duration
	// Window is the trailing window of OrdersInWindow and of the loyal
	// rule. Default 365 days.
	Window time.Duration

	Stage StageRules
	Churn ChurnRules
}

// StageRules are the thresholds of the lifecycle stages.
type StageRules struct {
	RepeatOrders int // paid orders for repeat; default 2; at least 2
	LoyalOrders  int // paid orders in the trailing window for loyal; default 5
	// AdvocateReferrals is how many paying customers a repeat or loyal
	// customer must have referred to be an advocate; default 1; negative
	// turns the referral route off.
	AdvocateReferrals int
	// PromoterScore is the lowest latest-NPS score that, together with a
	// repost or mention, makes a repeat or loyal customer an advocate;
	// default 9; negative turns the promoter route off.
	PromoterScore int
}

// ChurnRules are the parameters of churn risk.
type ChurnRules struct {
	// AtRiskFactor and LapsedFactor multiply a repeat customer's mean
	// interval between purchases: at risk when the time since the last
	// purchase exceeds AtRiskFactor x mean, lapsed beyond LapsedFactor x
	// mean. Defaults 1.5 and 3.
	AtRiskFactor float64
	LapsedFactor float64
	// MinInterval is the floor of the mean interval, so that two orders on
	// one day do not make a customer at risk the next. Default 30 days.
	MinInterval time.Duration
	// OneTimeAtRisk and OneTimeLapsed apply to customers with one dated
	// paid order. Defaults 180 and 365 days.
	OneTimeAtRisk time.Duration
	OneTimeLapsed time.Duration
}

// config is Options with every default applied and lookups precomputed.
type config struct {
	// priority holds, for each source or channel name a priority list
	// names, its rank (lower is better) in each field's list, or -1 where
	// the field's list does not name it; unlisted is the rank of the
	// names a field's list does not name.
	priority     map[string]*[numFields]int
	unlisted     [numFields]int
	limits       map[identity.Kind]int // 0 means unlimited
	hubThreshold int                   // 0 means off
	hubKinds     map[identity.Kind]bool
	recycleAfter time.Duration // 0 means off
	blocked      map[identity.Identifier]bool
	placeholders map[string]bool
	lifespanDays int64
	window       time.Duration
	rules        StageRules
	churn        ChurnRules
}

var defaultPriority = map[FieldName][]string{
	FieldNickname: {"wechat", "weibo", "ecommerce", "pos", "csv"},
	FieldPhone:    {"wechat", "pos", "csv", "ecommerce", "weibo"},
}

var defaultOrder = []string{"pos", "csv", "wechat", "weibo", "ecommerce"}

var defaultLimits = map[identity.Kind]int{
	identity.KindPhone:    3,
	identity.KindUnionID:  1,
	identity.KindOpenID:   1,
	identity.KindWeiboUID: 1,
	identity.KindMember:   1,
	identity.KindBuyer:    2,
	identity.KindEmail:    3,
}

var defaultPlaceholders = []string{"未知", "不详", "无", "微信用户", "unknown", "n/a", "null", "none", "test", "测试", "-"}

func validKind(k identity.Kind) bool { return slices.Contains(identity.Kinds, k) }

func optionErr(format string, args ...any) error {
	return fmt.Errorf("%w: options: "+format, append([]any{ErrInvalid}, args...)...)
}

func newConfig(o Options) (*config, error) {
	c := &config{
		priority:     map[string]*[numFields]int{},
		limits:       map[identity.Kind]int{},
		hubKinds:     map[identity.Kind]bool{},
		blocked:      map[identity.Identifier]bool{},
		placeholders: map[string]bool{},
	}
	for _, set := range []func(Options) error{c.setPriority, c.setLimits, c.setProtection, c.setLifecycle} {
		if err := set(o); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// setPriority sets the source ranks of every survivorship field.
func (c *config) setPriority(o Options) error {
	for f := range o.Priority {
		if fieldIndex(f) == len(FieldNames) {
			return optionErr("Priority: unknown field %q", string(f))
		}
	}
	for fi, f := range FieldNames {
		order, ok := o.Priority[f]
		if !ok {
			order, ok = defaultPriority[f]
		}
		if !ok {
			order = defaultOrder
		}
		ranks := map[string]int{}
		for i, s := range order {
			if s == "" {
				return optionErr("Priority[%s]: empty source name", f)
			}
			if _, dup := ranks[s]; !dup {
				ranks[s] = i
			}
		}
		for name, r := range ranks {
			byField := c.priority[name]
			if byField == nil {
				byField = new([numFields]int)
				for i := range byField {
					byField[i] = -1
				}
				c.priority[name] = byField
			}
			byField[fi] = r
		}
		c.unlisted[fi] = len(ranks)
	}
	return nil
}

// setLimits sets the identifiers a profile may hold of each kind.
func (c *config) setLimits(o Options) error {
	for k := range o.Limits {
		if !validKind(k) {
			return optionErr("Limits: unknown identifier kind %d", uint8(k))
		}
	}
	for _, k := range identity.Kinds {
		n, ok := o.Limits[k]
		switch {
		case !ok || n == 0:
			c.limits[k] = defaultLimits[k]
		case n < 0:
			c.limits[k] = 0
		default:
			c.limits[k] = n
		}
	}
	return nil
}

// setProtection sets the merge protections other than limits: hubs,
// recycled numbers, blocked values and placeholders.
func (c *config) setProtection(o Options) error {
	c.hubThreshold = intOption(o.HubThreshold, 3)
	switch {
	case o.RecycleAfter == 0:
		c.recycleAfter = 180 * Day
	case o.RecycleAfter > 0:
		c.recycleAfter = o.RecycleAfter
	}
	kinds := o.HubKinds
	if kinds == nil {
		kinds = []identity.Kind{identity.KindPhone, identity.KindEmail}
	}
	for _, k := range kinds {
		if !validKind(k) {
			return optionErr("HubKinds: unknown identifier kind %d", uint8(k))
		}
		c.hubKinds[k] = true
	}
	for i, id := range o.Blocked {
		if err := checkIdentifier(id); err != nil {
			return optionErr("Blocked[%d]: %v", i, err)
		}
		c.blocked[id] = true
	}
	ph := o.Placeholders
	if ph == nil {
		ph = defaultPlaceholders
	}
	for _, v := range ph {
		c.placeholders[foldPlaceholder(v)] = true
	}
	return nil
}

// setLifecycle sets what metrics, stages and churn risk are computed
// with.
func (c *config) setLifecycle(o Options) error {
	var err error
	if c.lifespanDays, err = days("Lifespan", o.Lifespan, 3*365*Day); err != nil {
		return err
	}
	if o.Window < 0 {
		return optionErr("Window is negative")
	}
	c.window = durationOption(o.Window, 365*Day)

	s := o.Stage
	c.rules = StageRules{
		RepeatOrders:      intOption(s.RepeatOrders, 2),
		LoyalOrders:       intOption(s.LoyalOrders, 5),
		AdvocateReferrals: intOption(s.AdvocateReferrals, 1),
		PromoterScore:     intOption(s.PromoterScore, 9),
	}
	if s.RepeatOrders < 0 || c.rules.RepeatOrders < 2 {
		return optionErr("Stage.RepeatOrders must be at least 2")
	}
	if c.rules.PromoterScore > 10 {
		return optionErr("Stage.PromoterScore must be at most 10")
	}

	ch := o.Churn
	if ch.AtRiskFactor < 0 || ch.LapsedFactor < 0 || ch.MinInterval < 0 || ch.OneTimeAtRisk < 0 || ch.OneTimeLapsed < 0 {
		return optionErr("Churn values must not be negative")
	}
	c.churn = ChurnRules{
		AtRiskFactor:  floatOption(ch.AtRiskFactor, 1.5),
		LapsedFactor:  floatOption(ch.LapsedFactor, 3),
		MinInterval:   durationOption(ch.MinInterval, 30*Day),
		OneTimeAtRisk: durationOption(ch.OneTimeAtRisk, 180*Day),
		OneTimeLapsed: durationOption(ch.OneTimeLapsed, 365*Day),
	}
	if c.churn.AtRiskFactor > c.churn.LapsedFactor || c.churn.AtRiskFactor < 1 {
		return optionErr("Churn.AtRiskFactor must be at least 1 and at most LapsedFactor")
	}
	if c.churn.OneTimeAtRisk > c.churn.OneTimeLapsed {
		return optionErr("Churn.OneTimeAtRisk must not exceed OneTimeLapsed")
	}
	return nil
}

// intOption returns def for zero, 0 (off) for negative values, v otherwise.
func intOption(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

func floatOption(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

func durationOption(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

func days(name string, v, def time.Duration) (int64, error) {
	if v < 0 {
		return 0, optionErr("%s is negative", name)
	}
	v = durationOption(v, def)
	if v < Day {
		return 0, optionErr("%s is shorter than a day", name)
	}
	return int64(v / Day), nil
}

func foldPlaceholder(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// limit returns the cap for kind k, 0 for none.
func (c *config) limit(k identity.Kind) int { return c.limits[k] }

// rank returns the priority rank of a record's source for the field with
// index field in FieldNames: lower is better; the source name is matched
// before the channel, and unlisted sources rank after every listed one.
func (c *config) rank(field int, k identity.RecordKey) int {
	if r := c.priority[k.Source]; r != nil && r[field] >= 0 {
		return r[field]
	}
	if r := c.priority[string(k.Channel)]; r != nil && r[field] >= 0 {
		return r[field]
	}
	return c.unlisted[field]
}

// ranks returns the rank of a record's source for every field.
func (c *config) ranks(k identity.RecordKey) [numFields]int {
	out := c.unlisted
	src, ch := c.priority[k.Source], c.priority[string(k.Channel)]
	for f := range out {
		switch {
		case src != nil && src[f] >= 0:
			out[f] = src[f]
		case ch != nil && ch[f] >= 0:
			out[f] = ch[f]
		}
	}
	return out
}

// placeholder reports whether v is a placeholder value. An ASCII value is
// folded in a buffer on the stack, so that a name such as "Li Mei" is
// checked without an allocation.
func (c *config) placeholder(v string) bool {
	v = strings.TrimSpace(v)
	var buf [32]byte
	for i := 0; i < len(v); i++ {
		if v[i] >= utf8.RuneSelf {
			return c.placeholders[strings.ToLower(v)]
		}
	}
	if len(v) > len(buf) {
		return c.placeholders[strings.ToLower(v)]
	}
	for i := 0; i < len(v); i++ {
		b := v[i]
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		buf[i] = b
	}
	return c.placeholders[string(buf[:len(v)])]
}

func checkIdentifier(id identity.Identifier) error {
	if !validKind(id.Kind) {
		return fmt.Errorf("unknown identifier kind %d", uint8(id.Kind))
	}
	if id.Value == "" {
		return fmt.Errorf("%s identifier has no value", id.Kind)
	}
	if id.Kind.Scoped() != (id.Scope != "") {
		if id.Scope == "" {
			return fmt.Errorf("%s identifier has no scope", id.Kind)
		}
		return fmt.Errorf("%s identifier must not have a scope", id.Kind)
	}
	return nil
}
