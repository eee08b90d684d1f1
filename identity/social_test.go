package identity_test

import (
	"testing"

	"github.com/scv-go/scv/identity"
)

func TestWeChat(t *testing.T) {
	runAdapterCases(t, identity.FormatWeChat, []adapterCase{
		{
			name: "subscribe 1 is a follow at subscribe_time with its scene, every field mapped",
			input: `{"subscribe":1,"openid":"o1","unionid":"u1","nickname":"小芳","sex":2,"language":"zh_CN",` +
				`"city":"深圳","province":"广东","country":"中国","subscribe_time":1767225600,"remark":" VIP 客户 ",` +
				`"tagid_list":[2,101],"subscribe_scene":"ADD_SCENE_QR_CODE"}`,
			want: map[string]string{
				"id": "o1", "observed": "2026-01-01T08:00:00+08:00",
				"ids":      "openid:wechat:o1 unionid:u1",
				"nickname": "小芳", "gender": "female", "language": "zh_CN",
				"country": "中国", "province": "广东", "city": "深圳", "remark": "VIP 客户", "tags": "2,101",
				"interactions": "follow 2026-01-01T08:00:00+08:00 detail=ADD_SCENE_QR_CODE",
			},
		},
		{
			name:  "appid scopes the openid and prefixes the record id",
			input: `{"appid":"wxA","openid":"o1"}`,
			want:  map[string]string{"id": "wxA/o1", "ids": "openid:wxA:o1"},
		},
		{
			name:  "an appid that is not a token is dropped with a warning: it would break the scope",
			input: `{"appid":"wx:1/2","openid":"o1"}`,
			want:  map[string]string{"id": "o1", "ids": "openid:wechat:o1", "warnings": "appid: invalid_value"},
		},
		{
			name:  "without appid the openid is scoped by the source",
			opts:  identity.Options{Source: "oa-main"},
			input: `{"openid":"o1"}`,
			want:  map[string]string{"id": "o1", "ids": "openid:oa-main:o1"},
		},
		{
			name:  "subscribe 0 (unfollowed) adds no follow event but keeps the ids",
			input: `{"subscribe":0,"openid":"o1","unionid":"u1"}`,
			want:  map[string]string{"id": "o1", "ids": "openid:wechat:o1 unionid:u1"},
		},
		{
			name:  "phone_info purePhoneNumber with countryCode",
			input: `{"openid":"o1","phone_info":{"phoneNumber":"+8613912345678","purePhoneNumber":"13912345678","countryCode":"86"}}`,
			want:  map[string]string{"id": "o1", "ids": "openid:wechat:o1 phone:+8613912345678"},
		},
		{
			name:  "phone_info phoneNumber alone",
			input: `{"openid":"o1","phone_info":{"phoneNumber":"139 1234 5678"}}`,
			want:  map[string]string{"id": "o1", "ids": "openid:wechat:o1 phone:+8613912345678"},
		},
		{
			name:  "phone_info of the wrong type is a warning",
			input: `{"openid":"o1","phone_info":"13912345678"}`,
			want:  map[string]string{"id": "o1", "ids": "openid:wechat:o1", "warnings": "phone_info: invalid_value"},
		},
		{
			name:  "微信用户 and sex 0 are WeChat's placeholders",
			input: `{"openid":"o1","nickname":"微信用户","sex":0}`,
			want:  map[string]string{"id": "o1", "ids": "openid:wechat:o1", "warnings": "nickname: placeholder_name"},
		},
		{
			name:  "full-width nickname folds to ASCII",
			input: `{"openid":"o1","nickname":"Ｊｉｅ　Ｇａｏ"}`,
			want:  map[string]string{"id": "o1", "ids": "openid:wechat:o1", "nickname": "Jie Gao"},
		},
		{
			name:  "unknown sex code is a warning",
			input: `{"openid":"o1","sex":5}`,
			want:  map[string]string{"id": "o1", "ids": "openid:wechat:o1", "warnings": "sex: invalid_gender"},
		},
		{
			name:  "unparseable subscribe_time is a warning; the follow is kept without a time",
			input: `{"openid":"o1","subscribe":1,"subscribe_time":"yesterday"}`,
			want: map[string]string{"id": "o1", "ids": "openid:wechat:o1", "warnings": "subscribe_time: invalid_time",
				"interactions": "follow "},
		},
		{
			name:  "unknown subscribe value is a warning",
			input: `{"openid":"o1","subscribe":7}`,
			want:  map[string]string{"id": "o1", "ids": "openid:wechat:o1", "warnings": "subscribe: invalid_value"},
		},
		{
			name:  "tagid_list that is not an array is a warning",
			input: `{"openid":"o1","tagid_list":"2,101"}`,
			want:  map[string]string{"id": "o1", "ids": "openid:wechat:o1", "warnings": "tagid_list: invalid_value"},
		},
		{
			name:  "a missing openid quarantines the record",
			input: `{"subscribe":1,"unionid":"u1","nickname":"小明"}`,
			want:  map[string]string{"quarantine": "openid: missing_id"},
		},
		{
			name:  "an openid of the wrong type is malformed",
			input: `{"openid":{"v":"o1"},"unionid":"u1"}`,
			want:  map[string]string{"quarantine": "openid: malformed"},
		},
		{
			name:  "a masked phone_info with nothing but the openid keeps the record, withheld",
			input: `{"openid":"o1","phone_info":{"phoneNumber":"139****5678"}}`,
			want:  map[string]string{"id": "o1", "ids": "openid:wechat:o1", "withheld": "phone_info: masked_phone"},
		},
	})
}

func TestWeibo(t *testing.T) {
	runAdapterCases(t, identity.FormatWeibo, []adapterCase{
		{
			name: "anonymous fan: uid, attributes, interactions; observed is the latest created_at",
			input: `{"id":5600000001,"idstr":"5600000001","screen_name":"小丽","name":"小丽","gender":"f","province":"44","city":"3",` +
				`"location":"广东 深圳","description":"爱美妆，爱生活","followers_count":312,"created_at":"Tue Apr 02 11:00:00 +0800 2019",` +
				`"interactions":[{"type":"comment","created_at":"Sat Mar 14 20:15:00 +0800 2026","text":"适合敏感肌吗？","mid":"501"},` +
				`{"type":"like","created_at":"Sun Mar 15 08:00:00 +0800 2026","mid":"502"}]}`,
			want: map[string]string{
				"id": "5600000001", "observed": "2026-03-15T08:00:00+08:00", "ids": "weibo_uid:5600000001",
				"nickname": "小丽", "gender": "female", "country": "中国", "province": "广东", "city": "深圳",
				"bio": "爱美妆，爱生活", "followers": "312", "account_created": "2019-04-02T11:00:00+08:00",
				"interactions": "comment 2026-03-14T20:15:00+08:00 id=501 text=适合敏感肌吗？; like 2026-03-15T08:00:00+08:00 id=502",
			},
		},
		{
			name:  "a numeric id without idstr keeps every digit",
			input: `{"id":5600000000123456789}`,
			want:  map[string]string{"id": "5600000000123456789", "ids": "weibo_uid:5600000000123456789"},
		},
		{
			name:  "a mobile comes from a lead form: a phone and a lead_form at the latest interaction",
			input: `{"idstr":"56","mobile":"+86 139 1234 5678","interactions":[{"type":"comment","created_at":"Wed May 20 21:00:00 +0800 2026","mid":"9"}]}`,
			want: map[string]string{"id": "56", "observed": "2026-05-20T21:00:00+08:00", "ids": "weibo_uid:56 phone:+8613912345678",
				"interactions": "comment 2026-05-20T21:00:00+08:00 id=9; lead_form 2026-05-20T21:00:00+08:00"},
		},
		{
			name:  "a masked lead-form mobile is withheld and still a lead",
			input: `{"idstr":"56","mobile":"139****5678"}`,
			want:  map[string]string{"id": "56", "ids": "weibo_uid:56", "withheld": "mobile: masked_phone", "interactions": "lead_form "},
		},
		{
			name:  "an unknown interaction type is a warning and the rest is kept",
			input: `{"idstr":"56","interactions":[{"type":"share","mid":"1"},{"type":"mention","mid":"2"}]}`,
			want:  map[string]string{"id": "56", "ids": "weibo_uid:56", "warnings": "interactions[0].type: invalid_value", "interactions": "mention  id=2"},
		},
		{
			name:  "a bad interaction time is a warning; the interaction is kept",
			input: `{"idstr":"56","interactions":[{"type":"repost","created_at":"2026-03-14","mid":"1"}]}`,
			want:  map[string]string{"id": "56", "ids": "weibo_uid:56", "warnings": "interactions[0].created_at: invalid_time", "interactions": "repost  id=1"},
		},
		{
			name:  "interactions that are not a list are a warning",
			input: `{"idstr":"56","interactions":{"type":"like"}}`,
			want:  map[string]string{"id": "56", "ids": "weibo_uid:56", "warnings": "interactions: invalid_value"},
		},
		{
			name:  "北京 朝阳区: a municipality's second part is a district",
			input: `{"idstr":"56","location":"北京 朝阳区","province":"11","city":"5"}`,
			want:  map[string]string{"id": "56", "ids": "weibo_uid:56", "country": "中国", "province": "北京", "city": "北京", "district": "朝阳区"},
		},
		{
			name:  "海外 美国 is a country; 其他 is nothing",
			input: `{"idstr":"56","location":"海外 美国"}`,
			want:  map[string]string{"id": "56", "ids": "weibo_uid:56", "country": "美国"},
		},
		{
			name:  "Weibo's generated screen name 用户123 is a placeholder",
			input: `{"idstr":"56","screen_name":"用户5600000056","gender":"n"}`,
			want:  map[string]string{"id": "56", "ids": "weibo_uid:56", "warnings": "screen_name: placeholder_name"},
		},
		{
			name:  "unknown gender and bad created_at and followers_count are warnings",
			input: `{"idstr":"56","gender":"x","created_at":"last year","followers_count":"many"}`,
			want: map[string]string{"id": "56", "ids": "weibo_uid:56",
				"warnings": "gender: invalid_gender; followers_count: invalid_value; created_at: invalid_time"},
		},
		{
			name:  "no id is missing_id",
			input: `{"screen_name":"无名","interactions":[]}`,
			want:  map[string]string{"quarantine": "id: missing_id"},
		},
		{
			name:  "a uid that is not a number is malformed",
			input: `{"idstr":"abc"}`,
			want:  map[string]string{"quarantine": "idstr: malformed"},
		},
	})
}
