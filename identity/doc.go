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
// streaming: JSON formats as JSON Lines or one JSON array, CSV formats with
// a header row in any column order. Input must be UTF-8. The adapters read
// each platform's own field names:
//
//   - [FormatWeChat]: the official-account user-info object (openid,
//     unionid, nickname, sex, language, country/province/city,
//     subscribe/subscribe_time/subscribe_scene, remark, tagid_list), with an
//     optional appid scoping the openid and an optional phone_info from the
//     mini-program phone API. The record id is "appid/openid". subscribe 1
//     is a follow at subscribe_time; subscribe 0 (never or no longer
//     following) adds no event, because WeChat does not say when a user
//     unfollowed.
//   - [FormatWeibo]: the users/show object (idstr or id, screen_name, gender,
//     location, description, followers_count, created_at), an optional
//     mobile from a lead form, and optional interactions (comment, repost,
//     like, mention). Weibo's numeric province and city codes are ignored:
//     the location text is used.
//   - [FormatEcommerce]: Taobao/Tmall trades (tid, buyer_open_uid,
//     receiver_*, payment, status, orders) and JD orders (orderId, pin,
//     consigneeInfo, orderPayment or orderTotalPrice, orderState), told apart
//     by their fields. Order statuses map to [OrderStatus]; an unknown status
//     drops the order with a warning and keeps the record.
//   - [FormatPOS]: till rows (store_id, receipt_no, member_no, mobile,
//     customer_name, amount, currency, paid_at, category, status,
//     referrer_mobile). The record id is "store_id/receipt_no"; a
//     registered row is a member sign-up, not an order.
//   - [FormatCSV]: any CSV through [Options.Mapping] onto the fields in
//     [CSVFields]; [ParseMapping] reads a mapping from a command line.
//
// Each adapter's doc comment in the source lists its field mapping in full.
// Timestamps without a zone are read in [Options.Location], China Standard
// Time by default. The observed time is the latest timestamp the record
// states; it is zero when the record states none.
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
// as an order amount, has an amount that is not an exact decimal of at most
// two places, or has no usable identifier. A bad optional field (a birthday,
// a gender code, a score, a timestamp) is dropped with a [Warning] and the
// record is kept. Names are folded with NFKC and placeholders (微信用户,
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
