// Package identity reads customer records from each channel's native export
// and normalises them into [Record] values keyed on the mobile phone number.
//
// It is the first step of scv's single customer view: it imports no other
// package of scv, keeps no state, and knows nothing of how records are later
// merged or stored.
//
// # Records
//
// A [Record] is what one channel knows about one person at one time: its
// [RecordKey] (channel, source, source record id), the time the source
// observed it, its [Identifier] values (phone first, then WeChat unionid and
// openid, Weibo uid, member number, e-commerce buyer id, e-mail), descriptive
// [Attributes], and events: [Order], [Interaction], [Feedback], [Referral]
// and [Consent]. Amounts are integer fen, never floats. A Record holds
// personal data in almost every string; treat it, and anything printed from
// it, accordingly.
//
// # Adapters
//
// [Decode] reads one file of a [Format] and yields records one at a time,
// streaming: JSON formats as JSON Lines or one JSON array (told apart by the
// first byte), CSV formats with a header row in any column order. Input must
// be UTF-8. Timestamps without a zone are read in [Options.Location], China
// Standard Time by default. The observed time is the latest timestamp the
// record states; it is zero when the record states none, and the store
// stamps the time of ingest. Each adapter reads its platform's own field
// names:
//
// [FormatWeChat], the official-account user-info object, with an optional
// appid and the phone_info of the mini-program phone API:
//
//	openid          record id "appid/openid" (or "openid"); openid identifier scoped by appid, else by the source
//	unionid         unionid identifier
//	phone_info      phone: countryCode + purePhoneNumber, else phoneNumber
//	nickname        Attributes.Nickname; 微信用户 is a placeholder
//	sex             Attributes.Gender: 1 male, 2 female, 0 unknown (a placeholder)
//	language, country, province, city, remark, tagid_list   Attributes
//	subscribe       1: a follow Interaction at subscribe_time, subscribe_scene as its Detail
//	subscribe_time  unix seconds; the observed time
//
// subscribe 0 (never or no longer following) adds no event: WeChat does not
// say when a user unfollowed, so the record only carries the ids.
//
// [FormatWeibo], the users/show object, with the optional mobile of the
// brand's lead forms and an optional interactions list:
//
//	idstr, or id    record id and weibo_uid identifier (a 19-digit id keeps every digit)
//	screen_name     Attributes.Nickname (name when empty); the generated 用户1234567890 is a placeholder
//	gender          m, f, n (unknown)
//	location        Attributes: "广东 深圳"; "北京 朝阳区" gives a district; "海外 美国" a country
//	province, city  ignored: Weibo's numeric codes, not names
//	description, followers_count, created_at   Attributes.Bio, Followers, AccountCreated
//	interactions[]  comment / repost / like / mention Interactions: mid as ID, created_at, text
//	mobile          phone, and a lead_form Interaction at the observed time
//
// The observed time is the latest interaction's created_at. Weibo only
// gives a brand a mobile through a lead form, so a mobile is a lead.
//
// [FormatEcommerce], Taobao/Tmall trades (they have tid) and JD orders (they
// have orderId). Amounts are required; the order's Platform, "taobao" or
// "jd", scopes the buyer identifier:
//
//	Taobao tid               record id and order id
//	buyer_open_uid           buyer identifier; buyer_nick when there is none (a masked nick 王** never is)
//	receiver_name            Attributes.Name
//	receiver_mobile, receiver_phone   phones (a landline is a phone)
//	receiver_state, receiver_city, receiver_district   Attributes
//	payment                  Order.AmountFen
//	status                   TRADE_FINISHED, WAIT_SELLER_SEND_GOODS, WAIT_BUYER_CONFIRM_GOODS (and the
//	                         rarer paid states) paid; WAIT_BUYER_PAY unpaid; TRADE_CLOSED_BY_TAOBAO
//	                         cancelled; TRADE_CLOSED refunded when pay_time is set, else cancelled
//	pay_time, else created   Order.Time; modified and end_time count for the observed time
//	orders[]                 Order.Items (oid, title, num, price, cid); the first cid is the category
//	referrer_mobile          a Referral
//	JD orderId               record id and order id
//	pin                      buyer identifier
//	consigneeInfo            fullname, mobile, telephone, province, city, county
//	orderPayment             Order.AmountFen; orderTotalPrice when absent
//	orderState               FINISHED_L, WAIT_GOODS_RECEIVE_CONFIRM, WAIT_SELLER_STOCK_OUT,
//	                         WAIT_SELLER_DELIVERY paid; TRADE_CANCELED cancelled
//	orderStartTime           Order.Time; paymentConfirmTime, modified, orderEndTime count for the observed time
//	itemInfoList[]           Order.Items (skuId, skuName, itemTotal, jdPrice)
//
// An unknown status drops the order with a warning and keeps the record.
//
// [FormatPOS], a till export; store_id, receipt_no, mobile, amount, paid_at
// and status are required columns, names match in any case (a header
// naming one twice, in any cases, is refused):
//
//	store_id, receipt_no   record id "store_id/receipt_no"; Order.Store and Order.ID
//	member_no              member identifier scoped by the source
//	mobile                 phone
//	customer_name          Attributes.Name
//	amount, currency       Order.AmountFen, Order.Currency (CNY when empty)
//	paid_at                Order.Time; "2006-01-02 15:04:05" or RFC 3339
//	category               Order.Category
//	status                 paid, refunded (a negative amount is accepted), or registered:
//	                       a member sign-up, a registration Interaction and no order,
//	                       whose record id is "store_id/member/member_no" when it has no receipt
//	referrer_mobile        a Referral
//
// [FormatCSV], any CSV through [Options.Mapping] onto the fields in
// [CSVFields] ([ParseMapping] reads a mapping from a command line):
// record_id (else a SHA-256 of the row's mapped values, so that re-importing
// a row is idempotent; like any unkeyed hash of personal data it is not a
// pseudonym), phone, name or family_name + given_name (王 + 小明
// gives 王小明, elle + lee gives "elle lee"), gender (M/F, 男/女, 1/2),
// birthday, email, member_no, province, city, an order (order_id, amount,
// currency, ordered_at, status paid / refunded / cancelled / unpaid, empty
// meaning paid, category), nps (0-10) and csat (1-5) with feedback_text,
// referrer_phone, consent_marketing, consent_personalisation and
// consent_third_party (yes/no, true/false, 1/0, 是/否), and observed_at.
// Feedback, referrals and consent take the record's observed time.
//
// # Phone numbers
//
// Every phone goes through [ParsePhone] (or a [PhoneParser] carrying
// [Options.Placeholders]): full-width digits, +86 / 0086 prefixes, IP
// dialling prefixes and separators are normalised to E.164, and extensions
// are kept apart. Landlines are phones too.
//
// # Quarantine and warnings
//
// Nothing is dropped silently: for every record read, [Decode] yields either
// a Record or a [*RecordError] naming the source, line, record id, field and
// [Reason], so that read = accepted + quarantined. A record is quarantined
// when it is malformed (bad JSON, a field of the wrong type, a wrong column
// count, bytes that are not UTF-8), lacks its id or a required field such
// as an order amount, or has an amount that is not an exact decimal of at
// most two places. A record with no usable identifier is kept, with a
// no_identifier [Warning]: it becomes an anonymous profile of its own,
// which suggestions, a later version of the record and an operator's link
// can reach. A bad optional field (a birthday, a gender code, a score, a
// timestamp, a time more than a year ahead) is dropped with a [Warning]
// and the record is kept. A Taobao tid or JD orderId that is not a
// positive integer is [ReasonInvalidID].
//
// Records are cut before they are parsed, so that bad bytes take no good
// record with them: every record is at most [MaxRecordBytes]
// ([ReasonTooLarge], skipped without being held); a CSV field opening a
// stray quote takes only its own line, and reading resumes at the next; a
// JSON array element that does not parse is quarantined and the next one
// read, and a break that cannot be skipped ends the input with one
// [ReasonUnread] entry giving the byte offset ([RecordError.Offset]).
// A quarantined record keeps its raw bytes in [RecordError.Raw] (up to 64
// KiB; the CSV header with its row) for a retry: it is personal data.
// [Sniff] names the likely format of an input from its first bytes.
//
// Names are folded with NFKC and placeholders (微信用户,
// 先生, 王先生, 顾客, test, -) are dropped; e-mails are lower-cased and
// checked; provinces and cities lose their 省 / 市 / 自治区 suffixes.
//
// Error texts and warnings name fields and record ids, never the phone
// numbers, names or other values that caused them.
//
// # What never becomes a key
//
// A masked number (138****5678), a service or shared-cost number (400, 800,
// 95xxx, 10086), an invalid number, a placeholder typed by staff
// (13800000000), a masked buyer nick (王**) and a placeholder name never
// become identifiers: each would link strangers into one profile. Phones
// that cannot be keys are kept in [Record.Withheld] with their reason, so
// that the record is still linked by its other identifiers; names, nicknames
// and addresses are never identifiers at all, because different people share
// them.
package identity
