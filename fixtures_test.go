package scv_test

import (
	"testing"
	"testing/fstest"

	"github.com/scv-go/scv"
)

// TestFixtures checks that the embedded fixtures hold every file of
// testdata that demo and scvtest read, and nothing of the golden files.
func TestFixtures(t *testing.T) {
	fsys := scv.Fixtures()
	if err := fstest.TestFS(fsys,
		"README.md", "csv/crm.csv", "csv/orders.csv", "csv/survey.csv", "csv/survey.map",
		"ecommerce/jd.json", "ecommerce/taobao.jsonl", "pos/stores.csv",
		"wechat/followers.jsonl", "wechat/miniprogram.json", "weibo/fans.json", "weibo/leads.jsonl",
	); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Open("golden"); err == nil {
		t.Error("the golden files are embedded too")
	}
}
