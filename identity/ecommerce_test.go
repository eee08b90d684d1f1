package identity_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scv-go/scv/identity"
)

// taobao returns a Taobao trade with the given fields spliced in.
func taobao(fields string) string {
	return `{"tid":1001,"buyer_open_uid":"AAuid","receiver_mobile":"13912345678",` + fields + `}`
}

func TestEcommerce(t *testing.T) {
	const ids = "buyer:taobao:AAuid phone:+8613912345678"
	runAdapterCases(t, identity.FormatEcommerce, []adapterCase{
		{
			name: "paid Taobao trade: every field mapped, exact fen, category from the first cid, time from pay_time",
			input: `{"tid":3301,"buyer_nick":"fang_fang","buyer_open_uid":"AAuid","receiver_name":" 王芳 ","receiver_mobile":"13912345678",` +
				`"receiver_phone":"","receiver_state":"广东省","receiver_city":"深圳市","receiver_district":"南山区","payment":"518.80",` +
				`"created":"2026-06-18 00:05:00","pay_time":"2026-06-18 00:06:00","modified":"2026-06-25 10:00:00","status":"TRADE_FINISHED",` +
				`"orders":[{"oid":33011,"title":"精华液","num":1,"price":"399.00","cid":"121484013"},{"oid":33012,"title":"面膜","num":2,"price":"59.90","cid":"121476023"}]}`,
			want: map[string]string{
				"id": "3301", "observed": "2026-06-25T10:00:00+08:00", "ids": ids,
				"name": "王芳", "nickname": "fang_fang", "province": "广东", "city": "深圳", "district": "南山区",
				"orders": `taobao/3301 paid 51880 CNY 2026-06-18T00:06:00+08:00 cat=121484013 [33011 "精华液" x1 39900 121484013] [33012 "面膜" x2 5990 121476023]`,
			},
		},
		{
			name:  "amounts are decimal, never float: 0.1 yuan is exactly 10 fen",
			input: taobao(`"payment":0.1,"status":"TRADE_FINISHED","created":"2026-01-01 10:00:00"`),
			want:  map[string]string{"id": "1001", "observed": "2026-01-01T10:00:00+08:00", "ids": ids, "orders": "taobao/1001 paid 10 CNY 2026-01-01T10:00:00+08:00"},
		},
		{
			name:  "TRADE_CLOSED after payment is a refund",
			input: taobao(`"payment":"10","status":"TRADE_CLOSED","pay_time":"2026-01-01 10:00:00","end_time":"2026-01-09 10:00:00"`),
			want:  map[string]string{"id": "1001", "observed": "2026-01-09T10:00:00+08:00", "ids": ids, "orders": "taobao/1001 refunded 1000 CNY 2026-01-01T10:00:00+08:00"},
		},
		{
			name:  "TRADE_CLOSED without payment is a cancellation",
			input: taobao(`"payment":"10","status":"TRADE_CLOSED","created":"2026-01-01 10:00:00"`),
			want:  map[string]string{"id": "1001", "observed": "2026-01-01T10:00:00+08:00", "ids": ids, "orders": "taobao/1001 cancelled 1000 CNY 2026-01-01T10:00:00+08:00"},
		},
		{
			name:  "TRADE_CLOSED_BY_TAOBAO is a cancellation",
			input: taobao(`"payment":"10","status":"TRADE_CLOSED_BY_TAOBAO"`),
			want:  map[string]string{"id": "1001", "ids": ids, "orders": "taobao/1001 cancelled 1000 CNY "},
		},
		{
			name:  "WAIT_BUYER_PAY is an unpaid order: intent",
			input: taobao(`"payment":"688.00","status":"WAIT_BUYER_PAY","created":"2026-10-30 23:50:00"`),
			want:  map[string]string{"id": "1001", "observed": "2026-10-30T23:50:00+08:00", "ids": ids, "orders": "taobao/1001 unpaid 68800 CNY 2026-10-30T23:50:00+08:00"},
		},
		{
			name:  "WAIT_SELLER_SEND_GOODS and WAIT_BUYER_CONFIRM_GOODS are paid",
			input: taobao(`"payment":"1","status":"WAIT_BUYER_CONFIRM_GOODS"`),
			want:  map[string]string{"id": "1001", "ids": ids, "orders": "taobao/1001 paid 100 CNY "},
		},
		{
			name:  "an unknown status drops the order with a warning and keeps the record",
			input: taobao(`"payment":"1","status":"TRADE_HOLD"`),
			want:  map[string]string{"id": "1001", "ids": ids, "warnings": "status: invalid_status"},
		},
		{
			name:  "a masked receiver_mobile is withheld; the trade links by buyer_open_uid",
			input: `{"tid":1001,"buyer_nick":"吴**","buyer_open_uid":"AAuid","receiver_mobile":"159****2310","receiver_name":"吴女士","payment":"1","status":"TRADE_FINISHED"}`,
			want: map[string]string{"id": "1001", "ids": "buyer:taobao:AAuid", "withheld": "receiver_mobile: masked_phone",
				"warnings": "receiver_name: placeholder_name", "orders": "taobao/1001 paid 100 CNY "},
		},
		{
			name:  "without buyer_open_uid the buyer_nick is the buyer id",
			input: `{"tid":1001,"buyer_nick":"lanzhou_pan","payment":"1","status":"TRADE_FINISHED"}`,
			want:  map[string]string{"id": "1001", "ids": "buyer:taobao:lanzhou_pan", "nickname": "lanzhou_pan", "orders": "taobao/1001 paid 100 CNY "},
		},
		{
			name:  "a masked nick and a masked mobile leave no key: an anonymous record with the phone withheld",
			input: `{"tid":1001,"buyer_nick":"张**","receiver_mobile":"138****5678","payment":"1","status":"TRADE_FINISHED"}`,
			want: map[string]string{"id": "1001", "orders": "taobao/1001 paid 100 CNY ", "warnings": "buyer_nick: masked_value; : no_identifier",
				"withheld": "receiver_mobile: masked_phone"},
		},
		{
			name:  "no buyer and no phone at all is an anonymous order, warned no_identifier",
			input: `{"tid":1001,"payment":"1","status":"TRADE_FINISHED"}`,
			want:  map[string]string{"id": "1001", "orders": "taobao/1001 paid 100 CNY ", "warnings": ": no_identifier"},
		},
		{
			name:  "receiver_phone: a landline is a phone too",
			input: taobao(`"receiver_phone":"0757-8123 4567","payment":"1","status":"TRADE_FINISHED"`),
			want:  map[string]string{"id": "1001", "ids": ids + " phone:+8675781234567", "orders": "taobao/1001 paid 100 CNY "},
		},
		{
			name:  "more than two decimals quarantines the trade",
			input: taobao(`"payment":"12.345","status":"TRADE_FINISHED"`),
			want:  map[string]string{"id": "1001", "quarantine": "payment: invalid_amount"},
		},
		{
			name:  "a missing payment quarantines the trade",
			input: taobao(`"status":"TRADE_FINISHED"`),
			want:  map[string]string{"id": "1001", "quarantine": "payment: missing_field"},
		},
		{
			name:  "a payment of the wrong type quarantines the trade",
			input: taobao(`"payment":{"yuan":1},"status":"TRADE_FINISHED"`),
			want:  map[string]string{"id": "1001", "quarantine": "payment: invalid_amount"},
		},
		{
			name:  "referrer_mobile is a referral at the order time; a masked one is a warning",
			input: taobao(`"payment":"1","status":"TRADE_FINISHED","pay_time":"2026-07-01 11:12:00","referrer_mobile":"136 9876 5403"`),
			want: map[string]string{"id": "1001", "observed": "2026-07-01T11:12:00+08:00", "ids": ids,
				"orders": "taobao/1001 paid 100 CNY 2026-07-01T11:12:00+08:00", "referrals": "+8613698765403 2026-07-01T11:12:00+08:00"},
		},
		{
			name:  "an unusable referrer number is a warning",
			input: taobao(`"payment":"1","status":"TRADE_FINISHED","referrer_mobile":"136****5403"`),
			want:  map[string]string{"id": "1001", "ids": ids, "orders": "taobao/1001 paid 100 CNY ", "warnings": "referrer_mobile: masked_phone"},
		},
		{
			name:  "a bad pay_time is a warning; created is the order time",
			input: taobao(`"payment":"1","status":"TRADE_FINISHED","created":"2026-01-01 10:00:00","pay_time":"soon"`),
			want: map[string]string{"id": "1001", "observed": "2026-01-01T10:00:00+08:00", "ids": ids,
				"orders": "taobao/1001 paid 100 CNY 2026-01-01T10:00:00+08:00", "warnings": "pay_time: invalid_time"},
		},
		{
			name:  "bad item fields are warnings; the order is kept",
			input: taobao(`"payment":"1","status":"TRADE_FINISHED","orders":[{"oid":1,"num":"lots","price":"9.999"},"x"]`),
			want: map[string]string{"id": "1001", "ids": ids, "orders": `taobao/1001 paid 100 CNY  [1 "" x0 0 ]`,
				"warnings": "orders[0].num: invalid_value; orders[0].price: invalid_amount; orders[1]: invalid_value"},
		},
		{
			name: "JD order: pin, consignee, orderPayment preferred over orderTotalPrice, items",
			input: `{"orderId":"262145001601","orderTotalPrice":"399.00","orderPayment":"379.00","orderState":"FINISHED_L",` +
				`"orderStartTime":"2026-04-10 10:30:00","modified":"2026-04-15 09:00:00","pin":"jd_guomin",` +
				`"consigneeInfo":{"fullname":"郭敏","mobile":"+86-139-4001-2316","telephone":"","province":"辽宁","city":"沈阳市","county":"和平区"},` +
				`"itemInfoList":[{"skuId":"100012043978","skuName":"精华液","itemTotal":"1","jdPrice":"399.00"}]}`,
			want: map[string]string{
				"id": "262145001601", "observed": "2026-04-15T09:00:00+08:00", "ids": "buyer:jd:jd_guomin phone:+8613940012316",
				"name": "郭敏", "province": "辽宁", "city": "沈阳", "district": "和平区",
				"orders": `jd/262145001601 paid 37900 CNY 2026-04-10T10:30:00+08:00 [100012043978 "精华液" x1 39900 ]`,
			},
		},
		{
			name:  "JD TRADE_CANCELED is cancelled; the telephone is a phone",
			input: `{"orderId":"7","orderTotalPrice":"1","orderState":"TRADE_CANCELED","pin":"p","consigneeInfo":{"telephone":"13987123322"}}`,
			want:  map[string]string{"id": "7", "ids": "buyer:jd:p phone:+8613987123322", "orders": "jd/7 cancelled 100 CNY "},
		},
		{
			name:  "JD unknown state drops the order with a warning",
			input: `{"orderId":"7","orderTotalPrice":"1","orderState":"LOCKED","pin":"p"}`,
			want:  map[string]string{"id": "7", "ids": "buyer:jd:p", "warnings": "orderState: invalid_status"},
		},
		{
			name:  "JD negative amount quarantines the order",
			input: `{"orderId":"7","orderTotalPrice":"-5.00","orderState":"FINISHED_L","pin":"p"}`,
			want:  map[string]string{"id": "7", "quarantine": "orderTotalPrice: invalid_amount"},
		},
		{
			name:  "neither tid nor orderId is missing_id",
			input: `{"buyer_nick":"x","payment":"1"}`,
			want:  map[string]string{"quarantine": "tid: missing_id"},
		},
		{
			name:  "a tid of the wrong type is malformed",
			input: `{"tid":[1],"payment":"1"}`,
			want:  map[string]string{"quarantine": "tid: malformed"},
		},
		{
			name:  "an empty tid is missing_id",
			input: `{"tid":"","payment":"1","buyer_open_uid":"AAuid"}`,
			want:  map[string]string{"quarantine": "tid: missing_id"},
		},
	})
}

// TestEcommerceSourceIsPlatform checks that an e-commerce record's key
// names its platform when the caller gives no source, so that a Taobao
// trade and a JD order with the same number are two records; and that an
// explicit source is kept as given.
func TestEcommerceSourceIsPlatform(t *testing.T) {
	const input = `{"tid":777,"buyer_open_uid":"AAuid","receiver_mobile":"13912345678","payment":"1","status":"TRADE_FINISHED"}
{"orderId":"777","orderTotalPrice":"1","orderState":"FINISHED_L","pin":"jd_pin","consigneeInfo":{"mobile":"13812345678"}}`
	for _, tc := range []struct {
		name   string
		source string
		want   []string
	}{
		{"default source: the platform", "", []string{"ecommerce/taobao/777", "ecommerce/jd/777"}},
		{"explicit source kept", "tmall-flagship", []string{"ecommerce/tmall-flagship/777", "ecommerce/tmall-flagship/777"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for rec, err := range identity.Decode(strings.NewReader(input), identity.FormatEcommerce, identity.Options{Source: tc.source}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, rec.Key().String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("record keys (-want +got):\n%s", diff)
			}
		})
	}
}
