package identity

import (
	"fmt"
	"strings"
	"time"
)

// Channel is the kind of touchpoint a record comes from.
type Channel string

// The channels scv reads natively. ChannelCSV is any other source read
// through a column mapping.
const (
	ChannelWeChat    Channel = "wechat"
	ChannelWeibo     Channel = "weibo"
	ChannelEcommerce Channel = "ecommerce"
	ChannelPOS       Channel = "pos"
	ChannelCSV       Channel = "csv"
)

// Kind is the kind of an [Identifier].
type Kind uint8

// The identifier kinds, phone first: the phone number is the primary key of
// a customer; every other kind links records to the phone it was seen with.
const (
	KindPhone    Kind = 1 + iota // E.164 phone number
	KindUnionID                  // WeChat unionid, the same across a brand's apps
	KindOpenID                   // WeChat openid, scoped by appid
	KindWeiboUID                 // Weibo user id
	KindMember                   // member or loyalty-card number, scoped by its source
	KindBuyer                    // e-commerce buyer id, scoped by platform
	KindEmail                    // lower-cased e-mail address
)

var kindNames = [...]string{
	KindPhone:    "phone",
	KindUnionID:  "unionid",
	KindOpenID:   "openid",
	KindWeiboUID: "weibo_uid",
	KindMember:   "member",
	KindBuyer:    "buyer",
	KindEmail:    "email",
}

// Kinds lists every identifier kind in order.
var Kinds = []Kind{KindPhone, KindUnionID, KindOpenID, KindWeiboUID, KindMember, KindBuyer, KindEmail}

// String returns the kind's name, such as "phone" or "weibo_uid".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Scoped reports whether identifiers of this kind are only unique within a
// scope: an openid within its appid, a member number within its source, a
// buyer id within its platform.
func (k Kind) Scoped() bool {
	return k == KindOpenID || k == KindMember || k == KindBuyer
}

// ParseKind returns the kind named s, the inverse of [Kind.String].
func ParseKind(s string) (Kind, error) {
	for k, name := range kindNames {
		if name != "" && name == s {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("identity: unknown identifier kind %q", s)
}

// Identifier is one normalised value that identifies a person within a
// channel: a phone number, a WeChat id, a member number.
//
// Identifiers are comparable; two equal Identifiers name the same person in
// the eyes of the merge step. Value holds personal data: never log it.
type Identifier struct {
	Kind  Kind   `codec:"13206"`
	Scope string `codec:"1645"`  // appid, member source or platform for scoped kinds; empty otherwise
	Value string `codec:"10285"` // normalised value: E.164 for phones, lower case for e-mail
}

// String returns "kind:value", or "kind:scope:value" for scoped kinds. It
// parses back with [ParseIdentifier]. The result contains personal data.
func (id Identifier) String() string {
	if id.Kind.Scoped() {
		return id.Kind.String() + ":" + id.Scope + ":" + id.Value
	}
	return id.Kind.String() + ":" + id.Value
}

// ParseIdentifier parses the form written by [Identifier.String].
func ParseIdentifier(s string) (Identifier, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Identifier{}, fmt.Errorf("identity: identifier has no kind")
	}
	k, err := ParseKind(kind)
	if err != nil {
		return Identifier{}, err
	}
	id := Identifier{Kind: k, Value: rest}
	if k.Scoped() {
		scope, value, ok := strings.Cut(rest, ":")
		if !ok || scope == "" {
			return Identifier{}, fmt.Errorf("identity: %s identifier has no scope", k)
		}
		id.Scope, id.Value = scope, value
	}
	if id.Value == "" {
		return Identifier{}, fmt.Errorf("identity: %s identifier has no value", k)
	}
	return id, nil
}

// Gender is a customer's stated gender; the zero value means unknown.
type Gender string

// The genders sources state. Placeholders such as WeChat's sex 0 map to
// GenderUnknown.
const (
	GenderUnknown Gender = ""
	GenderMale    Gender = "male"
	GenderFemale  Gender = "female"
)

// Date is a calendar date without a time zone, such as a birthday. The zero
// Date means unknown.
type Date struct {
	Year  int        `codec:"61794"`
	Month time.Month `codec:"46035"`
	Day   int        `codec:"27593"`
}

// IsZero reports whether d is the zero (unknown) date.
func (d Date) IsZero() bool { return d == Date{} }

// String returns the date as YYYY-MM-DD, or "" for the zero Date. It parses
// back with [ParseDate].
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Purpose is a use of customer data that needs the customer's consent.
type Purpose string

// The consent purposes. The default for every purpose is no consent.
const (
	PurposeMarketing       Purpose = "marketing"
	PurposePersonalisation Purpose = "personalisation"
	PurposeThirdParty      Purpose = "third_party"
)

// Purposes lists every consent purpose.
var Purposes = []Purpose{PurposeMarketing, PurposePersonalisation, PurposeThirdParty}

// Consent is one explicit statement of consent for a purpose, as a source
// recorded it.
type Consent struct {
	Purpose Purpose   `codec:"36622"`
	Granted bool      `codec:"61440"`
	Time    time.Time `codec:"15328"`
}

// OrderStatus is the state of an order as far as purchases are concerned.
type OrderStatus string

// Only OrderPaid counts as a purchase. OrderUnpaid and OrderCancelled show
// purchase intent.
const (
	OrderPaid      OrderStatus = "paid"
	OrderRefunded  OrderStatus = "refunded"
	OrderCancelled OrderStatus = "cancelled"
	OrderUnpaid    OrderStatus = "unpaid"
)

// Order is one order or till receipt. An order is unique by (Platform, ID):
// the same order seen again, for example refunded, updates the first sighting
// rather than adding a purchase.
type Order struct {
	Platform  string      `codec:"38176"` // "taobao", "jd", or the source name for POS and CSV
	ID        string      `codec:"48520"` // order id (tid, orderId, receipt number), unique within Platform
	Status    OrderStatus `codec:"62033"`
	AmountFen int64       `codec:"53322"` // amount paid in the currency's minor unit (fen for CNY)
	Currency  string      `codec:"13881"` // ISO 4217 code, "CNY" unless the source says otherwise
	Time      time.Time   `codec:"15328"`
	Category  string      `codec:"18978"` // product category, when the source gives one
	Store     string      `codec:"16493"` // store id for POS receipts
	Items     []Item      `codec:"55321"`
}

// Item is one line of an order.
type Item struct {
	ID       string `codec:"48520"` // line id (Taobao oid)
	Title    string `codec:"21885"`
	Quantity int    `codec:"6415"`
	PriceFen int64  `codec:"14329"` // unit price in fen
	Category string `codec:"18978"` // category id (Taobao cid)
}

// InteractionType is a kind of contact that is not a purchase.
type InteractionType string

// Follow, comment, repost, like and mention are social contact; registration
// and lead forms show purchase intent.
const (
	InteractionFollow       InteractionType = "follow"
	InteractionComment      InteractionType = "comment"
	InteractionRepost       InteractionType = "repost"
	InteractionLike         InteractionType = "like"
	InteractionMention      InteractionType = "mention"
	InteractionRegistration InteractionType = "registration"
	InteractionLeadForm     InteractionType = "lead_form"
)

// Intent reports whether the interaction shows purchase intent.
func (t InteractionType) Intent() bool {
	return t == InteractionRegistration || t == InteractionLeadForm
}

// Interaction is one contact event: a follow, a comment, a sign-up.
type Interaction struct {
	Type   InteractionType `codec:"312"`
	ID     string          `codec:"48520"` // the platform's id for the event (Weibo mid), if any
	Time   time.Time       `codec:"15328"`
	Text   string          `codec:"4938"`  // comment or post text, if any
	Detail string          `codec:"18416"` // extra context such as WeChat's subscribe_scene
}

// FeedbackKind is the scale of a feedback score.
type FeedbackKind string

// NPS scores are 0-10; CSAT scores are 1-5.
const (
	FeedbackNPS  FeedbackKind = "nps"
	FeedbackCSAT FeedbackKind = "csat"
)

// Feedback is one satisfaction or recommendation score.
type Feedback struct {
	Kind  FeedbackKind `codec:"13206"`
	Score int          `codec:"30174"`
	Text  string       `codec:"4938"`
	Time  time.Time    `codec:"15328"`
}

// Referral says that the record's customer was referred by the owner of
// the Referrer phone number.
type Referral struct {
	Referrer Phone     `codec:"46754"`
	Time     time.Time `codec:"15328"`
}

// Attributes are the descriptive fields of a record. Empty strings and zero
// values mean the source did not say; placeholders (WeChat's "微信用户",
// "先生", sex 0) are never stored here.
type Attributes struct {
	Name     string   `codec:"31974"` // personal name, normalised (NFKC, trimmed)
	Nickname string   `codec:"60258"` // social display name: WeChat nickname, Weibo screen_name, buyer nick
	Gender   Gender   `codec:"44172"`
	Birthday Date     `codec:"30236"`
	Country  string   `codec:"64133"`
	Province string   `codec:"45610"` // without the 省 / 市 / 自治区 suffix
	City     string   `codec:"42505"` // without the 市 suffix
	District string   `codec:"14632"`
	Language string   `codec:"16872"` // WeChat language code such as "zh_CN"
	Remark   string   `codec:"25810"` // the brand's note on a WeChat follower
	Bio      string   `codec:"44320"` // Weibo description
	Tags     []string `codec:"54909"`
	// Followers is the Weibo followers_count; 0 when unknown.
	Followers int `codec:"16521"`
	// AccountCreated is when the social account was created (Weibo
	// created_at); zero when unknown.
	AccountCreated time.Time `codec:"36382"`
}

// Withheld is a value a record carried that cannot serve as an identifier:
// a masked, invalid, service or placeholder phone number. The record is kept
// and linked by its other identifiers, if it has any.
type Withheld struct {
	Field  string `codec:"12991"` // the source field, such as "receiver_mobile"
	Reason Reason `codec:"8"`
	Value  string `codec:"10285"` // the value as normalised as it could be (may be masked); personal data
}

// Warning says that an optional field was dropped and why. It names the
// field, never the value. One warning names no field: no_identifier, on a
// record that no identifier keys, which becomes an anonymous profile of
// its own.
type Warning struct {
	Field  string `codec:"12991"`
	Reason Reason `codec:"8"`
}

// Record is the normalised form of one source record: what one channel
// knows about one person at one time.
//
// A Record is a plain value owned by whoever holds it; it is not safe for
// concurrent mutation. Every string in it may be personal data.
//
// The store keeps a Record in the binary form of internal/codec, which knows
// each field of it, and of every struct in it, by the number in its codec
// tag: a field may be renamed or moved, but its number never changes and
// is never reused. A new field takes a number no other field of its
// struct has (1 to 15 make the shortest keys); the numbers of the fields
// older than numbering are the hashes of their names at the time.
type Record struct {
	Channel Channel `codec:"61209"`
	Source  string  `codec:"49690"` // the source's name, such as "tmall-flagship"; defaults to the channel
	ID      string  `codec:"48520"` // the source record id, unique within (Channel, Source)
	// Line is the 1-based line (CSV, JSON Lines) or element (JSON array)
	// the record was read from; 0 when not read from a file. It is for
	// diagnostics only and not part of the record's identity.
	Line     int       `codec:"27983"`
	Observed time.Time `codec:"61229"` // when the source saw this state of the record

	Identifiers  []Identifier  `codec:"44150"`
	Withheld     []Withheld    `codec:"6946"`
	Attributes   Attributes    `codec:"6346"`
	Orders       []Order       `codec:"27006"`
	Interactions []Interaction `codec:"39372"`
	Feedback     []Feedback    `codec:"52855"`
	Referrals    []Referral    `codec:"43361"`
	Consent      []Consent     `codec:"50560"`
	Warnings     []Warning     `codec:"34734"`
	// Receivers are the identifiers among Identifiers that name an
	// order's receiver (Taobao receiver_mobile, JD consigneeInfo.mobile)
	// rather than the record's own account: the receiver may be the buyer,
	// or someone the buyer sends a gift to. Attributes then describe the
	// receiver too. The merge step decides whether they are the buyer's.
	Receivers []Identifier `codec:"12799"`
	// Stated is set on a record combined from several versions of one
	// source record (by the merge step): for each field a version other
	// than the newest stated, when that version was observed. A field not
	// listed was stated at Observed. Records read from a source leave it
	// empty.
	Stated []Stated `codec:"42353"`
}

// Stated says when the value of one field of a combined record was
// observed. Field is a field name ("name", "city", ...), "id:" and an
// identifier kind and scope ("id:phone:", "id:openid:wx123"), or
// "withheld:" and a source field.
type Stated struct {
	Field string    `codec:"12991"`
	Time  time.Time `codec:"15328"`
}

// Key returns the record's identity: the same key ingested twice is the
// same source record.
func (r *Record) Key() RecordKey {
	return RecordKey{Channel: r.Channel, Source: r.Source, ID: r.ID}
}

// Phones returns the record's phone identifiers in order.
func (r *Record) Phones() []Identifier {
	var out []Identifier
	for _, id := range r.Identifiers {
		if id.Kind == KindPhone {
			out = append(out, id)
		}
	}
	return out
}

// RecordKey identifies a source record: its channel, source and id.
type RecordKey struct {
	Channel Channel `codec:"61209"`
	Source  string  `codec:"49690"`
	ID      string  `codec:"48520"`
}

// String returns "channel/source/id". The id may be personal data (an
// openid), so do not log it.
func (k RecordKey) String() string {
	return string(k.Channel) + "/" + k.Source + "/" + k.ID
}

// ParseRecordKey parses the form written by [RecordKey.String]. Channels
// and sources never contain "/", so the id is everything after the second
// one (a WeChat record id "appid/openid" keeps its slash).
func ParseRecordKey(s string) (RecordKey, error) {
	channel, rest, ok1 := strings.Cut(s, "/")
	source, id, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 || channel == "" || source == "" || id == "" {
		return RecordKey{}, fmt.Errorf("identity: record key is not channel/source/id")
	}
	return RecordKey{Channel: Channel(channel), Source: source, ID: id}, nil
}
