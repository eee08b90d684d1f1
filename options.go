package scv

import (
	"fmt"
	"time"

	"github.com/scv-go/scv/identity"
	"github.com/scv-go/scv/merge"
	"github.com/scv-go/scv/store"
)

// MergeOptions configure identity resolution: survivorship, merge
// protection, lifecycle and churn thresholds. The zero value means the
// defaults documented on each field. For every integer, zero means the
// default and a negative value turns the rule off; durations must not be
// negative, except RecycleAfter, which a negative value turns off. In a
// rules file ("scv --rules FILE") it is a JSON object with these field
// names.
type MergeOptions struct {
	// Priority lists, per field, the channels or source names whose values
	// win, highest first; a record's Source is matched before its
	// Channel. Values from unlisted sources rank below listed ones; ties
	// go to the most recently observed record. A field absent from the
	// map uses the default: pos, csv, wechat, weibo, ecommerce for every
	// field, except nickname (wechat, weibo, ecommerce, pos, csv) and phone
	// (wechat first: its phone_info is verified by WeChat; then pos, csv,
	// ecommerce, weibo).
	Priority map[FieldName][]string

	// Limits caps, per identifier kind, the distinct linking identifiers
	// one profile may hold; for scoped kinds the cap is per scope (one
	// openid per appid). A join that would exceed a cap is refused and
	// recorded as a [Separation]. Kinds absent from the map use the
	// defaults: phone 3, unionid 1, weibo_uid 1, openid 1 per appid,
	// member 1 per source, buyer 2 per platform, email 3.
	Limits map[identity.Kind]int

	// HubThreshold is how many people, or distinct member numbers, the
	// records carrying one identifier of a HubKinds kind may show before
	// the identifier is flagged a hub: a placeholder typed by staff, not a
	// person. Default 3.
	HubThreshold int
	// HubKinds are the kinds the hub rule watches. Default phone and
	// email.
	HubKinds []identity.Kind

	// RecycleAfter is the silence after which a phone number may have been
	// reassigned by its operator: when the records carrying a phone after
	// such a silence describe nobody consistent with the people described
	// before it, the phone starts a new person. Default 180 days; negative
	// turns the rule off.
	RecycleAfter time.Duration

	// Blocked identifiers never link records, whoever carries them.
	Blocked []identity.Identifier

	// Placeholders are field values that lose to every real value in
	// survivorship, compared without case and surrounding space (a CRM's
	// "N/A"). Default: 未知, 不详, 无, 微信用户, unknown, n/a, null, none,
	// test, 测试, "-".
	Placeholders []string

	// Lifespan is the expected customer lifespan for lifetime value.
	// Default 3 years (3 x 365 days).
	Lifespan time.Duration
	// Window is the trailing window of Metrics.OrdersInWindow and of the
	// loyal rule. Default 365 days.
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

func (o MergeOptions) merge() merge.Options {
	m := merge.Options{
		Limits: o.Limits, HubThreshold: o.HubThreshold, HubKinds: o.HubKinds, RecycleAfter: o.RecycleAfter,
		Blocked: o.Blocked, Placeholders: o.Placeholders, Lifespan: o.Lifespan, Window: o.Window,
		Stage: merge.StageRules(o.Stage), Churn: merge.ChurnRules(o.Churn),
	}
	if o.Priority != nil {
		m.Priority = make(map[merge.FieldName][]string, len(o.Priority))
		for f, p := range o.Priority {
			m.Priority[merge.FieldName(f)] = p
		}
	}
	return m
}

// MemoryOptions tune the engine's memtables, caches and value log. The
// zero value is the default, about 450 MiB of memtables and caches (the
// process needs more: see docs/operations.md).
type MemoryOptions struct {
	// MemTableSize is the size of one memtable; default 64 MiB. Up to
	// NumMemtables of them are kept in memory.
	MemTableSize int64
	// NumMemtables bounds memtables in memory; default 3.
	NumMemtables int
	// BlockCacheSize is the cache of decompressed, decrypted table blocks;
	// default 128 MiB.
	BlockCacheSize int64
	// IndexCacheSize is the cache of table indexes and bloom filters;
	// default 64 MiB. Without it every index is kept in memory.
	IndexCacheSize int64
	// ValueThreshold is the size from which a value is kept in the value
	// log rather than in the LSM tree; default 160 bytes, which sends
	// sealed profiles and records to the log and keeps index entries and
	// wrapped data keys in the tree (docs/benchmarks.md has the figures).
	ValueThreshold int64
	// ValueLogFileSize is the size at which a new value log file is
	// started; default 256 MiB. The file being written is mapped into
	// memory, so this bounds its pages in the process's resident set.
	ValueLogFileSize int64
	// Readahead keeps the kernel's readahead on the value-log files. By
	// default they are marked as read at random (Linux only), which
	// matters once the database is larger than the memory left for its
	// files. Set it when memory is plenty.
	Readahead bool
}

func (m MemoryOptions) badger(inMemory, noSync bool) store.BadgerOptions {
	return store.BadgerOptions{InMemory: inMemory, NoSync: noSync,
		MemTableSize: m.MemTableSize, NumMemtables: m.NumMemtables, BlockCacheSize: m.BlockCacheSize,
		IndexCacheSize: m.IndexCacheSize, ValueThreshold: m.ValueThreshold, ValueLogFileSize: m.ValueLogFileSize,
		Readahead: m.Readahead}
}

// RulesPolicy says what [Open] does when a database was resolved under
// other merge rules than [Options].Merge.
type RulesPolicy int

// The policies of [Options].Rules.
const (
	// RulesRefuse refuses to open the database with a [*RulesError]
	// naming the fields that differ. It is the default.
	RulesRefuse RulesPolicy = iota
	// RulesStored opens the database under the rules stored in it,
	// ignoring Options.Merge: the choice of a tool that has no rules of
	// its own to impose, such as the command line.
	RulesStored
	// RulesReapply re-resolves and re-stages every profile under
	// Options.Merge, then stores them as the database's rules. Open
	// returns once it is done; [DB.Restaged] says what changed.
	RulesReapply
)

func (p RulesPolicy) store() (store.RulesPolicy, error) {
	switch p {
	case RulesRefuse:
		return store.RulesRefuse, nil
	case RulesStored:
		return store.RulesStored, nil
	case RulesReapply:
		return store.RulesReapply, nil
	}
	return 0, fmt.Errorf("scv: unknown Options.Rules %d", int(p))
}
