package identity_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/scv-go/scv/identity"
)

// BenchmarkDecode decodes each fixture file, reporting records per second.
// The fixtures are small, so the figure includes Decode's set-up per file.
func BenchmarkDecode(b *testing.B) {
	for _, fx := range fixtures(b) {
		data := fx.read(b)
		b.Run(fx.path, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			n := 0
			for b.Loop() {
				for range identity.Decode(bytes.NewReader(data), fx.format, fx.opts) {
					n++
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkDecodeLarge decodes 10,000 POS rows and 10,000 Taobao trades in
// one file each (as JSON Lines and as one JSON array), the steady state of
// a large import.
func BenchmarkDecodeLarge(b *testing.B) {
	for _, tc := range []struct {
		name   string
		format identity.Format
		head   string
		row    string
	}{
		{"pos", identity.FormatPOS, posHeader, "SZ01,R%d,M1001,139 1234 5601,王芳,1299.00,CNY,2026-10-18 15:00:00,护肤,paid,\n"},
		{"taobao", identity.FormatEcommerce, "", `{"tid":%d,"buyer_nick":"王**","buyer_open_uid":"AAHk3n9P01","receiver_name":"王芳","receiver_mobile":"13912345601","receiver_state":"广东省","receiver_city":"深圳市","payment":"518.80","created":"2026-06-18 00:05:00","pay_time":"2026-06-18 00:06:00","status":"TRADE_FINISHED","orders":[{"oid":1,"title":"精华液","num":1,"price":"399.00","cid":"121484013"}]}` + "\n"},
		{"taobao-array", identity.FormatEcommerce, "", `{"tid":%d,"buyer_nick":"王**","buyer_open_uid":"AAHk3n9P01","receiver_name":"王芳","receiver_mobile":"13912345601","receiver_state":"广东省","receiver_city":"深圳市","payment":"518.80","created":"2026-06-18 00:05:00","pay_time":"2026-06-18 00:06:00","status":"TRADE_FINISHED","orders":[{"oid":1,"title":"精华液","num":1,"price":"399.00","cid":"121484013"}]}` + "\n"},
	} {
		var buf bytes.Buffer
		buf.WriteString(tc.head)
		for i := range 10_000 {
			fmt.Fprintf(&buf, tc.row, i+1)
		}
		data := buf.Bytes()
		if tc.name == "taobao-array" {
			data = append(append([]byte("["), bytes.ReplaceAll(bytes.TrimSpace(data), []byte("\n"), []byte(",\n"))...), ']')
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			n := 0
			for b.Loop() {
				for _, err := range identity.Decode(bytes.NewReader(data), tc.format, identity.Options{}) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
