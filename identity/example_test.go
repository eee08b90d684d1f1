package identity_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/scv-go/scv/identity"
)

// show prints what Decode yields: a record's id, identifiers and events, or
// a quarantine entry.
func show(rec identity.Record, err error) {
	var re *identity.RecordError
	if errors.As(err, &re) {
		fmt.Printf("quarantined line %d: %s %s\n", re.Line, re.Field, re.Reason)
		return
	}
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(rec.Key())
	for _, id := range rec.Identifiers {
		fmt.Println("  id", id)
	}
	for _, w := range rec.Withheld {
		fmt.Println("  withheld", w.Field, w.Reason)
	}
	for _, o := range rec.Orders {
		fmt.Printf("  order %s/%s %s %d fen %s\n", o.Platform, o.ID, o.Status, o.AmountFen, o.Time.Format("2006-01-02 15:04"))
	}
	for _, in := range rec.Interactions {
		fmt.Println("  interaction", in.Type, in.Time.Format("2006-01-02 15:04"))
	}
	for _, f := range rec.Feedback {
		fmt.Println("  feedback", f.Kind, f.Score)
	}
	for _, c := range rec.Consent {
		fmt.Println("  consent", c.Purpose, c.Granted)
	}
	for _, w := range rec.Warnings {
		fmt.Println("  warning", w.Field, w.Reason)
	}
}

func ExampleDecode_wechat() {
	input := `{"subscribe":1,"openid":"oOAx7Kq2","unionid":"oU9rT","nickname":"微信用户","sex":2,"province":"广东","city":"深圳","subscribe_time":1764554520,"subscribe_scene":"ADD_SCENE_QR_CODE","appid":"wx8a1b2c3d4e5f6071"}
{"openid":"oMPx7Kq2","unionid":"oU9rT","appid":"wx9f8e7d6c5b4a3921","phone_info":{"purePhoneNumber":"13912345601","countryCode":"86"}}
{"subscribe":1,"nickname":"路人甲"}`
	for rec, err := range identity.Decode(strings.NewReader(input), identity.FormatWeChat, identity.Options{}) {
		show(rec, err)
	}
	// Output:
	// wechat/wechat/wx8a1b2c3d4e5f6071/oOAx7Kq2
	//   id openid:wx8a1b2c3d4e5f6071:oOAx7Kq2
	//   id unionid:oU9rT
	//   interaction follow 2025-12-01 10:02
	//   warning nickname placeholder_name
	// wechat/wechat/wx9f8e7d6c5b4a3921/oMPx7Kq2
	//   id openid:wx9f8e7d6c5b4a3921:oMPx7Kq2
	//   id unionid:oU9rT
	//   id phone:+8613912345601
	// quarantined line 3: openid missing_id
}

func ExampleDecode_weibo() {
	input := `[
 {"idstr":"5600000006","screen_name":"杭州小丽","gender":"f","location":"浙江 杭州","interactions":[{"type":"comment","created_at":"Sat Mar 14 20:15:00 +0800 2026","mid":"501"}]},
 {"idstr":"5600000006","mobile":"186 5712 4406","interactions":[{"type":"comment","created_at":"Wed May 20 21:00:00 +0800 2026","mid":"502"}]}
]`
	for rec, err := range identity.Decode(strings.NewReader(input), identity.FormatWeibo, identity.Options{}) {
		show(rec, err)
	}
	// Output:
	// weibo/weibo/5600000006
	//   id weibo_uid:5600000006
	//   interaction comment 2026-03-14 20:15
	// weibo/weibo/5600000006
	//   id weibo_uid:5600000006
	//   id phone:+8618657124406
	//   interaction comment 2026-05-20 21:00
	//   interaction lead_form 2026-05-20 21:00
}

func ExampleDecode_ecommerce() {
	input := `{"tid":3301000000001002,"buyer_nick":"吴**","buyer_open_uid":"AAKe7P10","receiver_mobile":"159****2310","payment":"289.00","created":"2026-08-15 22:40:00","pay_time":"2026-08-15 22:41:00","status":"TRADE_FINISHED"}
{"orderId":"262145002802","orderTotalPrice":"399.00","orderState":"TRADE_CANCELED","orderStartTime":"2026-08-01 18:00:00","pin":"jd_fengtao28","consigneeInfo":{"fullname":"冯涛","mobile":"15155112328"}}
{"tid":3301000000009003,"buyer_open_uid":"AAUx0X03","payment":"12.345","status":"TRADE_FINISHED"}`
	for rec, err := range identity.Decode(strings.NewReader(input), identity.FormatEcommerce, identity.Options{}) {
		show(rec, err)
	}
	// Output:
	// ecommerce/taobao/3301000000001002
	//   id buyer:taobao:AAKe7P10
	//   withheld receiver_mobile masked_phone
	//   order taobao/3301000000001002 paid 28900 fen 2026-08-15 22:41
	// ecommerce/jd/262145002802
	//   id buyer:jd:jd_fengtao28
	//   id phone:+8615155112328
	//   order jd/262145002802 cancelled 39900 fen 2026-08-01 18:00
	// quarantined line 3: payment invalid_amount
}

func ExampleDecode_pos() {
	input := "\ufeffpaid_at,store_id,receipt_no,member_no,mobile,customer_name,amount,currency,category,status,referrer_mobile\r\n" +
		"2026-06-01 10:00:00,CS08,,M8012,18673112312,孙悦,,,,registered,\r\n" +
		"2026-06-10 15:20:00,CS08,CS08-26061005,M8012,18673112312,孙悦,299.00,CNY,护肤,paid,\r\n" +
		"2026-06-15 11:00:00,CS08,CS08-26061005,M8012,18673112312,孙悦,-299.00,CNY,护肤,refunded,\r\n" +
		"2026-08-30 11:30:00,ZZ04,ZZ04-26083001,,13800000000,余洁,89.00,CNY,彩妆,paid,\r\n"
	opts := identity.Options{Source: "stores", Placeholders: []string{"13800000000"}}
	for rec, err := range identity.Decode(strings.NewReader(input), identity.FormatPOS, opts) {
		show(rec, err)
	}
	// Output:
	// pos/stores/CS08/member/M8012
	//   id member:stores:M8012
	//   id phone:+8618673112312
	//   interaction registration 2026-06-01 10:00
	// pos/stores/CS08/CS08-26061005
	//   id member:stores:M8012
	//   id phone:+8618673112312
	//   order stores/CS08-26061005 paid 29900 fen 2026-06-10 15:20
	// pos/stores/CS08/CS08-26061005
	//   id member:stores:M8012
	//   id phone:+8618673112312
	//   order stores/CS08-26061005 refunded 29900 fen 2026-06-15 11:00
	// pos/stores/ZZ04/ZZ04-26083001
	//   withheld mobile placeholder_phone
	//   order stores/ZZ04-26083001 paid 8900 fen 2026-08-30 11:30
	//   warning  no_identifier
}

func ExampleDecode_csv() {
	mapping, err := identity.ParseMapping("record_id=问卷编号,observed_at=提交时间,phone=手机号码,nps=NPS评分,consent_marketing=同意营销")
	if err != nil {
		fmt.Println(err)
		return
	}
	input := "问卷编号,提交时间,手机号码,NPS评分,同意营销\n" +
		"NPS-1,2026-09-20 10:00:00,0086 136 9876 5403,10,是\n" +
		"NPS-2,2026-07-01 12:00:00,13944012338,11,否\n"
	for rec, err := range identity.Decode(strings.NewReader(input), identity.FormatCSV, identity.Options{Source: "survey", Mapping: mapping}) {
		show(rec, err)
	}
	// Output:
	// csv/survey/NPS-1
	//   id phone:+8613698765403
	//   feedback nps 10
	//   consent marketing true
	// csv/survey/NPS-2
	//   id phone:+8613944012338
	//   consent marketing false
	//   warning nps invalid_score
}

func ExampleParseAmount() {
	a, _ := identity.ParseAmount("0.1")
	b, _ := identity.ParseAmount("0.2")
	fmt.Println(a+b, "fen")
	_, err := identity.ParseAmount("12.345")
	fmt.Println(err)
	// Output:
	// 30 fen
	// more than 2 decimal places
}

func ExampleParseDate() {
	for _, s := range []string{"1978年3月1日", "19780301", "1978/3/1", "19162429"} {
		d, err := identity.ParseDate(s)
		fmt.Println(d, err)
	}
	// Output:
	// 1978-03-01 <nil>
	// 1978-03-01 <nil>
	// 1978-03-01 <nil>
	//  identity: invalid date
}
