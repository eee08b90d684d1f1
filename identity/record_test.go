package identity

import "testing"

func TestParseRecordKey(t *testing.T) {
	for _, k := range []RecordKey{
		{Channel: ChannelWeChat, Source: "wechat", ID: "wx8a1b2c3d4e5f6071/oABC"},
		{Channel: ChannelPOS, Source: "pos", ID: "SZ01/25111501"},
		{Channel: ChannelCSV, Source: "crm", ID: "C0001"},
	} {
		got, err := ParseRecordKey(k.String())
		if err != nil || got != k {
			t.Errorf("ParseRecordKey(%q) = %v, %v; want %v", k.String(), got, err, k)
		}
	}
	for _, bad := range []string{"", "wechat", "wechat/src", "wechat//id", "/src/id"} {
		if _, err := ParseRecordKey(bad); err == nil {
			t.Errorf("ParseRecordKey(%q) succeeded", bad)
		}
	}
}
