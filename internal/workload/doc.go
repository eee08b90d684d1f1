// Package workload generates realistic, deterministic customer records for
// scv's benchmarks and load tests: a brand's exports from WeChat, Weibo,
// its Taobao and JD shops, its store tills and its CRM, describing about
// N/2.5 people in N records, with the ground truth of who is who.
//
// It is internal: its output format is a tool of this repository, not a
// promise to users.
//
// # What a workload holds
//
// [New] draws people one by one from a seeded PCG stream per person
// (math/rand/v2), each with a name drawn from the common Chinese surnames
// by frequency and common given-name characters, a city, a mobile number
// that no other person has, and one to four channels (about 40% of people
// are seen on two or more, linked by their phone):
//
//   - WeChat: the official account's follower record (openid, unionid,
//     nickname, some 微信用户 placeholders, some unfollowed users with ids
//     only) and, for most, the mini program's record with the phone the
//     phone API returned, linked by unionid.
//   - Weibo: anonymous fans (uid only), leads (the same uid in a later,
//     cumulative snapshot carrying the mobile left in a lead form), or both.
//   - E-commerce: Taobao trades or JD orders, some with the receiver mobile
//     masked by the platform (138****5678) and linked by buyer_open_uid,
//     some unpaid, cancelled, refunded (the same tid seen again, later,
//     closed after payment), paid after being seen unpaid, or re-sent byte
//     for byte; some name a referrer's mobile.
//   - POS: till rows, member sign-ups, refunds (the same receipt again,
//     later, negative), re-sent rows, and what cashiers type when the
//     customer gives no number: the listed placeholder 13800000000 (rows
//     without a member number are quarantined), unlisted numbers such as
//     13900001111 typed for many different people (see
//     [Generator.HubPhones]: only the merge step's hub rule can catch
//     them), typos, and nothing.
//   - CSV: CRM rows with birthdays in every common format, e-mail and
//     consent statements; survey rows with NPS, CSAT and referrals.
//
// Phones are spelled as people write them: plain, +86, 0086, spaced,
// dashed, full-width digits. Times fall in the year before Config.AsOf.
//
// # Two outputs, the same records
//
// [Generator.WriteFiles] writes the native files listed by [Files] (what
// identity.Decode reads, shaped like the fixtures in testdata/) and the
// ground truth: truth/records.csv maps every record (file and line) to its
// key, its person and what Decode is expected to make of it, and
// truth/people.csv gives per person the phone, channels, and expected paid
// orders and spend. [Generator.Records] streams the same records through
// identity.Decode from the same bytes, generated as they are read, without
// touching the disk; [ReadDir] reads the written files back.
//
// Neither holds the workload in memory: each file is produced person by
// person, and a person is regenerated from its seed whenever it is needed.
// Records of one file are ordered by time within blocks of 65,536 people,
// so that a person's records are far apart in the file, as in a real
// export, rather than next to each other.
//
// # The trap workload
//
// With Config.Traps, [New] generates instead the ground-truth workload of
// the traps that real China data sets for identity resolution (issue 14),
// in the same files and at realistic rates: gift orders (15% of
// e-commerce orders ship to a family member sharing the buyer's surname
// and address, a friend who may be a customer with records of their own,
// or an office; the order is the buyer's), recycled numbers (an old
// holder's records five to seven years ago, a new holder of another
// surname and gender in the last year), cashiers' one-digit typos and
// placeholders (13800000000 and unlisted ones shared by many), masked
// receivers, name spellings (王芳, 王 芳, Wang Fang, Fang Wang, 王女士, a
// homophone typo 王方, traditional 陳, full-width Ｗａｎｇ), Weibo lead
// forms without timestamps that add a phone to a fan's uid, households,
// and records with no usable identifier. [Line.Traps] tells each record's
// traps ([Trap]); truth/records.csv gets a traps column. A trap workload
// is held in memory, about 330 bytes per record; [Generator.Person]
// gives only its people's ids, phones, channels and record counts.
//
// [Evaluate] measures a partition of records into profiles against the
// truth (pairwise precision, recall, F1, the ceiling that identifiers of
// one person allow, and the pairs each trap costs), and
// [Generator.Items] builds its input from the workload's files and a
// lookup of the profile of each record key. [WriteHeavy] writes a
// Febrl-style set of up to ten corrupted copies per person on one phone.
//
// # Determinism
//
// The same [Config] gives the same bytes, whatever the machine and the
// order files are read in. The tables (surnames, cities, products) are part
// of the output: changing one changes every workload.
//
// All names, numbers and ids are made up, but they are realistic enough to
// be personal data in form: treat workload files like customer data.
package workload
