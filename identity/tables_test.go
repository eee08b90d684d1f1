package identity_test

import (
	"testing"

	"github.com/scv-go/scv/identity"
)

const posHeader = "store_id,receipt_no,member_no,mobile,customer_name,amount,currency,paid_at,category,status,referrer_mobile\n"

func TestPOS(t *testing.T) {
	// The placeholder is configured so that these cases do not depend on
	// ParsePhone's built-in list.
	hub := identity.Options{Placeholders: []string{"13800000000"}}
	runAdapterCases(t, identity.FormatPOS, []adapterCase{
		{
			name:  "a paid receipt: every column mapped",
			input: posHeader + "SZ01,R1,M1001,139 1234 5678, 王芳 ,1299.00,CNY,2026-10-18 15:00:00,护肤,paid,\n",
			want: map[string]string{
				"id": "SZ01/R1", "observed": "2026-10-18T15:00:00+08:00", "ids": "member:pos:M1001 phone:+8613912345678", "name": "王芳",
				"orders": "pos/R1 paid 129900 CNY 2026-10-18T15:00:00+08:00 cat=护肤 store=SZ01",
			},
		},
		{
			name:  "the source names the member scope and the order platform",
			opts:  identity.Options{Source: "till-east"},
			input: posHeader + "SZ01,R1,M1001,,,1,,2026-10-18 15:00:00,,paid,\n",
			want: map[string]string{"id": "SZ01/R1", "observed": "2026-10-18T15:00:00+08:00", "ids": "member:till-east:M1001",
				"orders": "till-east/R1 paid 100 CNY 2026-10-18T15:00:00+08:00 store=SZ01"},
		},
		{
			name:  "a registered row without a receipt is a sign-up keyed by the member number",
			input: posHeader + "CS08,,M8012,18673112312,孙悦,,,2026-06-01 10:00:00,,registered,\n",
			want: map[string]string{"id": "CS08/member/M8012", "observed": "2026-06-01T10:00:00+08:00",
				"ids": "member:pos:M8012 phone:+8618673112312", "name": "孙悦", "interactions": "registration 2026-06-01T10:00:00+08:00"},
		},
		{
			name:  "a registered row with neither receipt nor member number has no id",
			input: posHeader + "CS08,,,18673112312,孙悦,,,2026-06-01 10:00:00,,registered,\n",
			want:  map[string]string{"quarantine": "receipt_no: missing_id"},
		},
		{
			name:  "a paid row without a receipt has no id",
			input: posHeader + "CS08,,M1,18673112312,,9,,,,paid,\n",
			want:  map[string]string{"quarantine": "receipt_no: missing_id"},
		},
		{
			name:  "a row without a store has no id",
			input: posHeader + ",R1,M1,18673112312,,9,,,,paid,\n",
			want:  map[string]string{"quarantine": "store_id: missing_id"},
		},
		{
			name:  "a refund may print a negative amount; the order keeps it positive",
			input: posHeader + "CS08,R5,M8012,,,-299.00,CNY,2026-06-15 11:00:00,,refunded,\n",
			want: map[string]string{"id": "CS08/R5", "observed": "2026-06-15T11:00:00+08:00", "ids": "member:pos:M8012",
				"orders": "pos/R5 refunded 29900 CNY 2026-06-15T11:00:00+08:00 store=CS08"},
		},
		{
			name:  "a negative amount on a paid row is quarantined",
			input: posHeader + "CS08,R5,M8012,,,-299.00,CNY,2026-06-15 11:00:00,,paid,\n",
			want:  map[string]string{"id": "CS08/R5", "quarantine": "amount: invalid_amount"},
		},
		{
			name:  "an unparseable amount is quarantined",
			input: posHeader + "CS08,R5,M8012,,,abc,CNY,2026-06-15 11:00:00,,paid,\n",
			want:  map[string]string{"id": "CS08/R5", "quarantine": "amount: invalid_amount"},
		},
		{
			name:  "a missing amount on a paid row is quarantined",
			input: posHeader + "CS08,R5,M8012,,,,CNY,2026-06-15 11:00:00,,paid,\n",
			want:  map[string]string{"id": "CS08/R5", "quarantine": "amount: missing_field"},
		},
		{
			name:  "a currency that is not a code is quarantined: the amount cannot be counted",
			input: posHeader + "CS08,R5,M8012,,,1,US$,2026-06-15 11:00:00,,paid,\n",
			want:  map[string]string{"id": "CS08/R5", "quarantine": "currency: invalid_value"},
		},
		{
			name:  "another currency is kept as stated",
			input: posHeader + "HK01,R5,M8012,,,1,hkd,,,paid,\n",
			want:  map[string]string{"id": "HK01/R5", "ids": "member:pos:M8012", "orders": "pos/R5 paid 100 HKD  store=HK01"},
		},
		{
			name:  "the cashier's placeholder phone is withheld; the member number keeps the record",
			opts:  hub,
			input: posHeader + "ZZ04,R2,M4017,13800000000,何晓,259.00,CNY,2026-02-20 12:00:00,,paid,\n",
			want: map[string]string{"id": "ZZ04/R2", "observed": "2026-02-20T12:00:00+08:00", "ids": "member:pos:M4017",
				"withheld": "mobile: placeholder_phone", "name": "何晓", "orders": "pos/R2 paid 25900 CNY 2026-02-20T12:00:00+08:00 store=ZZ04"},
		},
		{
			name:  "a placeholder phone and nothing else is anonymous, the phone withheld as placeholder_phone",
			opts:  hub,
			input: posHeader + "ZZ04,R3,,13800000000,余洁,89.00,CNY,2026-08-30 11:30:00,,paid,\n",
			want: map[string]string{"id": "ZZ04/R3", "name": "余洁", "observed": "2026-08-30T11:30:00+08:00",
				"orders":   "pos/R3 paid 8900 CNY 2026-08-30T11:30:00+08:00 store=ZZ04",
				"warnings": ": no_identifier", "withheld": "mobile: placeholder_phone"},
		},
		{
			name:  "an unknown status keeps the record without an order",
			input: posHeader + "SZ01,R9,M1001,,,0,,2026-09-13 09:00:00,,void,\n",
			want:  map[string]string{"id": "SZ01/R9", "observed": "2026-09-13T09:00:00+08:00", "ids": "member:pos:M1001", "warnings": "status: invalid_status"},
		},
		{
			name:  "an impossible paid_at is a warning; the order is kept without a time",
			input: posHeader + "YC11,R2,M1134,,,239.00,CNY,2026-13-45 25:00:00,,paid,\n",
			want:  map[string]string{"id": "YC11/R2", "ids": "member:pos:M1134", "warnings": "paid_at: invalid_time", "orders": "pos/R2 paid 23900 CNY  store=YC11"},
		},
		{
			name:  "paid_at in RFC 3339 is converted to the local zone",
			input: posHeader + "SZ01,R4,M1001,,,368.50,CNY,2026-08-08T10:30:00Z,,paid,\n",
			want: map[string]string{"id": "SZ01/R4", "observed": "2026-08-08T18:30:00+08:00", "ids": "member:pos:M1001",
				"orders": "pos/R4 paid 36850 CNY 2026-08-08T18:30:00+08:00 store=SZ01"},
		},
		{
			name:  "referrer_mobile is a referral",
			input: posHeader + "BJ02,R1,M2004,15011112204,刘洋,399.00,CNY,2026-04-01 10:30:00,,paid,13698765403\n",
			want: map[string]string{"id": "BJ02/R1", "observed": "2026-04-01T10:30:00+08:00", "ids": "member:pos:M2004 phone:+8615011112204", "name": "刘洋",
				"orders": "pos/R1 paid 39900 CNY 2026-04-01T10:30:00+08:00 store=BJ02", "referrals": "+8613698765403 2026-04-01T10:30:00+08:00"},
		},
		{
			name:  "a customer cannot refer themselves",
			input: posHeader + "BJ02,R1,,15011112204,,399.00,CNY,,,paid,150 1111 2204\n",
			want: map[string]string{"id": "BJ02/R1", "ids": "phone:+8615011112204", "orders": "pos/R1 paid 39900 CNY  store=BJ02",
				"warnings": "referrer_mobile: invalid_value"},
		},
		{
			name:  "placeholder names (林先生, 顾客) are dropped with a warning",
			input: posHeader + "DG05,R1,M5020,,林先生,1,,,,paid,\n",
			want:  map[string]string{"id": "DG05/R1", "ids": "member:pos:M5020", "warnings": "customer_name: placeholder_name", "orders": "pos/R1 paid 100 CNY  store=DG05"},
		},
		{
			name:  "full-width mobile digits fold",
			input: posHeader + "NB06,R2,,１３８５７４１２３２１,高洁,329.00,,,,paid,\n",
			want:  map[string]string{"id": "NB06/R2", "ids": "phone:+8613857412321", "name": "高洁", "orders": "pos/R2 paid 32900 CNY  store=NB06"},
		},
		{
			name:  "header columns in any order and any case",
			input: "STATUS,Amount,Mobile,Receipt_No,Store_ID,Paid_At\npaid,1,13912345678,R1,S1,\n",
			want:  map[string]string{"id": "S1/R1", "ids": "phone:+8613912345678", "orders": "pos/R1 paid 100 CNY  store=S1"},
		},
	})
}

func TestCSV(t *testing.T) {
	runAdapterCases(t, identity.FormatCSV, []adapterCase{
		{
			name: "columns named as fields: identifiers and attributes",
			input: "record_id,phone,name,gender,birthday,email,member_no,province,city,observed_at\n" +
				"C1,13912345601,王芳,女,1988年7月12日, Wang.Fang@Example.COM ,VIP-1,广东省,深圳市,2026-01-02 10:00:00\n",
			want: map[string]string{"id": "C1", "observed": "2026-01-02T10:00:00+08:00",
				"ids":  "phone:+8613912345601 email:wang.fang@example.com member:csv:VIP-1",
				"name": "王芳", "gender": "female", "birthday": "1988-07-12", "province": "广东", "city": "深圳"},
		},
		{
			name:  "a mapping reads columns by their own headers",
			opts:  identity.Options{Mapping: map[string]string{"record_id": "编号", "phone": "手机", "name": "姓名"}},
			input: "姓名,编号,手机,备注\n李娜,X1,+86 138 1234 5602,老客户\n",
			want:  map[string]string{"id": "X1", "ids": "phone:+8613812345602", "name": "李娜"},
		},
		{
			name:  "Chinese family and given names join without a space",
			input: "record_id,phone,family_name,given_name\nC2,13987123322,罗,刚\n",
			want:  map[string]string{"id": "C2", "ids": "phone:+8613987123322", "name": "罗刚"},
		},
		{
			name:  "Latin given and family names join as given family",
			opts:  identity.Options{Region: "AU"},
			input: "record_id,phone,given_name,family_name\n1491,04 2271 8532,elle,lee\n",
			want:  map[string]string{"id": "1491", "ids": "phone:+61422718532", "name": "elle lee"},
		},
		{
			name:  "an order: amount in exact fen, status, category, ordered_at",
			input: "record_id,phone,order_id,amount,ordered_at,status,category\nC3,13503512330,MS-1,99.9,2026-07-30 08:15:00,paid,彩妆\n",
			want: map[string]string{"id": "C3", "observed": "2026-07-30T08:15:00+08:00", "ids": "phone:+8613503512330",
				"orders": "csv/MS-1 paid 9990 CNY 2026-07-30T08:15:00+08:00 cat=彩妆"},
		},
		{
			name:  "an amount without an order id is an order keyed by the record id; empty status means paid",
			input: "record_id,phone,amount\nC4,13503512330,128\n",
			want:  map[string]string{"id": "C4", "ids": "phone:+8613503512330", "orders": "csv/C4 paid 12800 CNY "},
		},
		{
			name:  "an unknown order status drops the order with a warning",
			input: "record_id,phone,order_id,amount,status\nC5,13503512330,MS-6,59,lost\n",
			want:  map[string]string{"id": "C5", "ids": "phone:+8613503512330", "warnings": "status: invalid_status"},
		},
		{
			name:  "a bad amount quarantines the row",
			input: "record_id,phone,order_id,amount\nC6,13503512330,MS-5,12.345\n",
			want:  map[string]string{"id": "C6", "quarantine": "amount: invalid_amount"},
		},
		{
			name:  "NPS and CSAT with text, at the observed time",
			input: "record_id,phone,nps,csat,feedback_text,observed_at\nS1,13698765403,10,5,导购很专业，已推荐,2026-09-20 10:00:00\n",
			want: map[string]string{"id": "S1", "observed": "2026-09-20T10:00:00+08:00", "ids": "phone:+8613698765403",
				"feedback": `nps 10 "导购很专业，已推荐" 2026-09-20T10:00:00+08:00; csat 5 "导购很专业，已推荐" 2026-09-20T10:00:00+08:00`},
		},
		{
			name:  "scores out of range are warnings: NPS 11, CSAT 0",
			input: "record_id,phone,nps,csat\nS2,13698765403,11,0\n",
			want:  map[string]string{"id": "S2", "ids": "phone:+8613698765403", "warnings": "nps: invalid_score; csat: invalid_score"},
		},
		{
			name: "consent per purpose in yes/no, 是/否, 1/0 at the observed time",
			input: "record_id,phone,consent_marketing,consent_personalisation,consent_third_party,observed_at\n" +
				"S3,13698765403,是,no,0,2026-01-02 10:00:00\n",
			want: map[string]string{"id": "S3", "observed": "2026-01-02T10:00:00+08:00", "ids": "phone:+8613698765403",
				"consent": "marketing=true 2026-01-02T10:00:00+08:00; personalisation=false 2026-01-02T10:00:00+08:00; third_party=false 2026-01-02T10:00:00+08:00"},
		},
		{
			name:  "a consent value that is not yes or no is a warning",
			input: "record_id,phone,consent_marketing\nS4,13698765403,maybe\n",
			want:  map[string]string{"id": "S4", "ids": "phone:+8613698765403", "warnings": "consent_marketing: invalid_value"},
		},
		{
			name:  "referrer_phone is a referral",
			input: "record_id,phone,referrer_phone,observed_at\nS5,13944012338,13698765403,2026-07-01 12:00:00\n",
			want: map[string]string{"id": "S5", "observed": "2026-07-01T12:00:00+08:00", "ids": "phone:+8613944012338",
				"referrals": "+8613698765403 2026-07-01T12:00:00+08:00"},
		},
		{
			name:  "an e-mail alone is an identifier",
			input: "record_id,email\nE1,baixue@example.com\n",
			want:  map[string]string{"id": "E1", "ids": "email:baixue@example.com"},
		},
		{
			name:  "an invalid e-mail is a warning, not an identifier",
			input: "record_id,phone,email\nE2,13812345602,lina@@example\n",
			want:  map[string]string{"id": "E2", "ids": "phone:+8613812345602", "warnings": "email: invalid_email"},
		},
		{
			name:  "an impossible birthday (FEBRL's 19162429) is a warning",
			input: "record_id,phone,birthday\nB1,13989012340,19162429\n",
			want:  map[string]string{"id": "B1", "ids": "phone:+8613989012340", "warnings": "birthday: invalid_date"},
		},
		{
			name:  "an unknown gender code is a warning; 未知 is not",
			input: "record_id,phone,gender\nG1,13989012340,X\n",
			want:  map[string]string{"id": "G1", "ids": "phone:+8613989012340", "warnings": "gender: invalid_gender"},
		},
		{
			name:  "an invalid phone and nothing else is anonymous, the phone withheld as invalid_phone",
			input: "record_id,phone,name\nP1,1391234,郑某\n",
			want:  map[string]string{"id": "P1", "name": "郑某", "warnings": ": no_identifier", "withheld": "phone: invalid_phone"},
		},
		{
			name:  "no identifier at all is anonymous, warned no_identifier",
			input: "record_id,name\nN1,王芳\n",
			want:  map[string]string{"id": "N1", "name": "王芳", "warnings": ": no_identifier"},
		},
		{
			name:  "without record_id the id is a hash of the mapped values (field\\0value\\0 in field order, SHA-256, 16 bytes)",
			input: "phone,name\n13895112337,钱程\n",
			want:  map[string]string{"id": "sha256-142ce687a12c2612d755609cf1c35fcc", "ids": "phone:+8613895112337", "name": "钱程"},
		},
	})
}
