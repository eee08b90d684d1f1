package identity_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/scv-go/scv/identity"
)

// TestSniff checks that the start of every fixture names its format, and
// that text of no known shape names none.
func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		file string
		want identity.Format
	}{
		{"ecommerce/taobao.jsonl", identity.FormatEcommerce},
		{"ecommerce/jd.json", identity.FormatEcommerce},
		{"wechat/followers.jsonl", identity.FormatWeChat},
		{"wechat/miniprogram.json", identity.FormatWeChat},
		{"weibo/fans.json", identity.FormatWeibo},
		{"weibo/leads.jsonl", identity.FormatWeibo},
		{"pos/stores.csv", identity.FormatPOS},
		{"csv/crm.csv", identity.FormatCSV},
		{"csv/survey.csv", identity.FormatCSV},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := identity.Sniff(data[:min(len(data), 4096)])
			if !ok || got != tc.want {
				t.Errorf("Sniff = %q, %t; want %q", got, ok, tc.want)
			}
		})
	}
	for _, in := range []string{"", "   ", `{"a":1}`, "[1,2]", "\x00\x01binary"} {
		if got, ok := identity.Sniff([]byte(in)); ok {
			t.Errorf("Sniff(%q) = %q, want no format", in, got)
		}
	}
}
