package identity_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nyaruka/phonenumbers"
	"github.com/scv-go/scv/identity"
)

// The personal data the failing records below carry. No error text may
// contain any of it.
var secrets = []string{
	"13912345678", "12345678", "139****5678", "4008123123", "13800000000",
	"王小明", "小明同学", "xiaoming@example.com", "xm_buyer", "深圳南山区科技园",
}

// TestErrorsHoldNoPersonalData feeds records full of personal data into
// every failure path of every format and checks that no error text (a
// quarantine entry or an error that ends the input) and no warning
// contains any of it.
func TestErrorsHoldNoPersonalData(t *testing.T) {
	ph := identity.Options{Placeholders: []string{"13800000000"}}
	for _, tc := range []struct {
		name   string
		format identity.Format
		opts   identity.Options
		input  string
	}{
		{"wechat: truncated JSON", identity.FormatWeChat, ph, `{"openid":"o1","nickname":"小明同学","phone_info":{"phoneNumber":"13912345678"`},
		{"wechat: not UTF-8", identity.FormatWeChat, ph, "{\"openid\":\"o1\",\"nickname\":\"小明同学\xff\",\"phone_info\":{\"phoneNumber\":\"13912345678\"}}"},
		{"wechat: openid of the wrong type", identity.FormatWeChat, ph, `{"openid":{"phone":"13912345678","name":"王小明"}}`},
		{"wechat: missing openid", identity.FormatWeChat, ph, `{"nickname":"小明同学","phone_info":{"phoneNumber":"13912345678"}}`},
		{"wechat: bad optional fields", identity.FormatWeChat, ph, `{"openid":"o1","sex":"王小明","subscribe":"13912345678","subscribe_time":"13912345678","tagid_list":"小明同学","phone_info":"13912345678"}`},
		{"wechat: masked phone only", identity.FormatWeChat, ph, `{"openid":"","phone_info":{"phoneNumber":"139****5678"}}`},
		{"weibo: broken array", identity.FormatWeibo, ph, `[{"idstr":"1","mobile":"13912345678","screen_name":"小明同学"}, {"idstr": 王小明}]`},
		{"weibo: uid that is not a number", identity.FormatWeibo, ph, `{"idstr":"13912345678王小明"}`},
		{"weibo: bad optional fields", identity.FormatWeibo, ph, `{"idstr":"1","gender":"王小明","created_at":"13912345678","followers_count":"小明同学","interactions":[{"type":"王小明","created_at":"13912345678"}]}`},
		{"weibo: service mobile and no uid", identity.FormatWeibo, ph, `{"screen_name":"小明同学","mobile":"4008123123"}`},
		{"ecommerce: payment with the phone as digits", identity.FormatEcommerce, ph, `{"tid":1,"buyer_nick":"xm_buyer","receiver_mobile":"13912345678","payment":"13912345678.123","status":"TRADE_FINISHED"}`},
		{"ecommerce: payment that is a name", identity.FormatEcommerce, ph, `{"tid":1,"buyer_nick":"xm_buyer","payment":"王小明","status":"TRADE_FINISHED"}`},
		{"ecommerce: negative payment", identity.FormatEcommerce, ph, `{"tid":1,"buyer_nick":"xm_buyer","payment":"-12345678","status":"TRADE_FINISHED"}`},
		{"ecommerce: placeholder phone only", identity.FormatEcommerce, ph, `{"tid":1,"receiver_name":"王小明","receiver_mobile":"13800000000","receiver_state":"深圳南山区科技园","payment":"1","status":"TRADE_FINISHED"}`},
		{"ecommerce: masked nick and masked phone", identity.FormatEcommerce, ph, `{"tid":1,"buyer_nick":"王**","receiver_mobile":"139****5678","payment":"1","status":"王小明"}`},
		{"ecommerce: no id", identity.FormatEcommerce, ph, `{"buyer_nick":"xm_buyer","receiver_mobile":"13912345678","payment":"1"}`},
		{"ecommerce: JD with bad fields", identity.FormatEcommerce, ph, `{"orderId":"7","pin":"xm_buyer","orderTotalPrice":"12345678.999","orderState":"王小明","orderStartTime":"13912345678","consigneeInfo":{"fullname":"王小明","mobile":"4008123123"}}`},
		{"ecommerce: bad items and referrer", identity.FormatEcommerce, ph, `{"tid":1,"buyer_open_uid":"u","payment":"1","status":"TRADE_FINISHED","referrer_mobile":"139****5678","pay_time":"13912345678","orders":[{"num":"王小明","price":"13912345678.999"}]}`},
		{"pos: header missing, first row is data", identity.FormatPOS, ph, "SZ01,R1,M1,13912345678,王小明,1,CNY,,,paid,\n"},
		{"pos: short row", identity.FormatPOS, ph, posHeader + "SZ01,R1,M1,13912345678,王小明\n"},
		{"pos: bad quote", identity.FormatPOS, ph, posHeader + "SZ01,R1,M1,13912345678,王\"小明,1,CNY,,,paid,\n"},
		{"pos: not UTF-8", identity.FormatPOS, ph, posHeader + "SZ01,R1,M1,13912345678,王小明\xff,1,CNY,,,paid,\n"},
		{"pos: bad amount, currency, time, status, referrer", identity.FormatPOS, ph, posHeader + "SZ01,R1,M1,13912345678,王小明,13912345678.999,王小明,13912345678,,王小明,139****5678\n"},
		{"pos: placeholder only", identity.FormatPOS, ph, posHeader + "SZ01,R1,,13800000000,王小明,1,CNY,,,paid,\n"},
		{"pos: service number only", identity.FormatPOS, ph, posHeader + "SZ01,R1,,4008123123,王小明,1,CNY,,,paid,\n"},
		{"pos: invalid number only", identity.FormatPOS, ph, posHeader + "SZ01,R1,,12345678,王小明,1,CNY,,,paid,\n"},
		{"csv: duplicate header made of data", identity.FormatCSV, ph, "13912345678,13912345678\n1,2\n"},
		{"csv: bad optional fields", identity.FormatCSV, ph, "record_id,phone,email,gender,birthday,nps,csat,consent_marketing,observed_at,referrer_phone\nC1,13912345678,xiaoming@@example.com,王小明,13912345678,13912345678,王小明,小明同学,13912345678,139****5678\n"},
		{"csv: bad amount", identity.FormatCSV, ph, "record_id,phone,amount\nC1,13912345678,13912345678.999\n"},
		{"csv: masked phone only", identity.FormatCSV, ph, "record_id,phone,name\nC1,139****5678,王小明\n"},
		{"csv: no identifier", identity.FormatCSV, ph, "record_id,name,city\nC1,王小明,深圳南山区科技园\n"},
		{"options: a placeholder that is not a phone", identity.FormatCSV, identity.Options{Placeholders: []string{"王小明13912345678"}}, "phone\n1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decodeAll(t, tc.format, tc.opts, tc.input)
			failures := 0
			for _, r := range got {
				if r.err != nil {
					failures++
					checkNoSecret(t, "error", r.err.Error())
					continue
				}
				for _, w := range r.rec.Warnings {
					failures++
					checkNoSecret(t, "warning", w.Field+" "+string(w.Reason))
				}
			}
			if failures == 0 {
				t.Fatalf("the input did not fail: %v", got)
			}
		})
	}
}

func checkNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s %q contains personal data %q", what, text, s)
		}
	}
}

// TestFEBRL reads the public FEBRL data set through a mapping, with
// Australian phone numbers, and checks that the counts reconcile with an
// independent reading: every row is accepted; rows without a phone are
// anonymous (a no_identifier warning), rows whose phone
// github.com/nyaruka/phonenumbers calls invalid (FEBRL draws numbers at
// random, about 15% outside allocated ranges) are anonymous with the
// phone withheld as invalid_phone, and every other row is keyed on its
// phone. It skips when ../shared/data/febrl is not beside the repository.
func TestFEBRL(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "febrl", "dataset_A_1000.csv")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("FEBRL data not available: %v", err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, row := range rows[1:] {
		phone := strings.TrimSpace(row[11])
		n, err := phonenumbers.Parse(phone, "AU")
		switch {
		case phone == "":
			want[string(identity.ReasonNoIdentifier)]++
		case err != nil || !phonenumbers.IsValidNumber(n):
			want[string(identity.ReasonInvalidPhone)]++
		default:
			want["phone"]++
		}
	}

	m, err := identity.ParseMapping("record_id=rec_id,given_name=given_name,family_name=surname,birthday=date_of_birth,phone=phone_number,province=state,city=suburb")
	if err != nil {
		t.Fatal(err)
	}
	read, accepted, badBirthdays := 0, 0, 0
	got := map[string]int{}
	for rec, err := range identity.Decode(bytes.NewReader(raw), identity.FormatCSV, identity.Options{Source: "febrl", Region: "AU", Mapping: m}) {
		read++
		if err != nil {
			t.Errorf("record quarantined: %v", err)
			continue
		}
		accepted++
		anonymous := slices.Contains(rec.Warnings, identity.Warning{Reason: identity.ReasonNoIdentifier})
		switch ps := rec.Phones(); {
		case len(ps) == 1 && strings.HasPrefix(ps[0].Value, "+61") && !anonymous:
			got["phone"]++
		case len(ps) != 0 || !anonymous:
			t.Errorf("record %s: phones %v, anonymous %v; want one +61 number or an anonymous record", rec.ID, ps, anonymous)
		case len(rec.Withheld) == 1:
			got[string(rec.Withheld[0].Reason)]++
		default:
			got[string(identity.ReasonNoIdentifier)]++
		}
		for _, w := range rec.Warnings {
			if w.Field == "birthday" {
				badBirthdays++
			}
		}
	}
	t.Logf("FEBRL A 1000: read %d, accepted %d, by phone outcome %v, birthdays refused %d", read, accepted, got, badBirthdays)
	if read != len(rows)-1 || accepted != read {
		t.Errorf("read %d, accepted %d; want %d, all", read, accepted, len(rows)-1)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records by phone outcome (-want +got):\n%s", diff)
	}
	if badBirthdays == 0 {
		t.Error("no birthday refused; FEBRL has impossible dates such as 19162429")
	}
}
