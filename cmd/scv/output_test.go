package main

import (
	"strings"
	"testing"
	"time"
)

func TestMoney(t *testing.T) {
	tests := []struct {
		fen      int64
		currency string
		want     string
	}{
		{0, "CNY", "¥0.00"},
		{5, "", "¥0.05"},
		{129900, "CNY", "¥1,299.00"},
		{123456789, "CNY", "¥1,234,567.89"},
		{-29900, "CNY", "-¥299.00"},
		{1250, "USD", "USD 12.50"},
	}
	for _, tc := range tests {
		if got := money(tc.fen, tc.currency); got != tc.want {
			t.Errorf("money(%d, %q) = %q, want %q", tc.fen, tc.currency, got, tc.want)
		}
	}
}

// TestProgress drives the progress line with a fake clock: it redraws at
// most every progressInterval, shows records, rate and the share of
// bytes read, and clears itself at the end of the file.
func TestProgress(t *testing.T) {
	var out strings.Builder
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	p := &progress{w: &out, now: func() time.Time { return now }}
	r := p.file("stores.csv", 2, 3, 1000, strings.NewReader(strings.Repeat("x", 1000)))
	buf := make([]byte, 250)
	r.Read(buf)
	for i := 0; i < 1000; i++ {
		p.record()
		now = now.Add(time.Millisecond) // 1000 records a second
	}
	draws := strings.Count(out.String(), "\r")
	// One draw at the first record, then one every 100 ms: 10 in 1 s.
	if draws < 9 || draws > 11 {
		t.Errorf("%d redraws in one second, want about 10 (at most one per %v)", draws, progressInterval)
	}
	last := out.String()[strings.LastIndex(out.String(), "\r")+1:]
	for _, want := range []string{"[2/3] stores.csv", "records", "/s", "25%"} {
		if !strings.Contains(last, want) {
			t.Errorf("progress line %q lacks %q", last, want)
		}
	}
	p.done()
	if !strings.HasSuffix(out.String(), "\r\x1b[K") {
		t.Errorf("done does not clear the line: %q", out.String()[len(out.String())-10:])
	}
	var nilProgress *progress
	nilProgress.record() // no terminal: no-ops
	nilProgress.done()
	if newProgress(&out, time.Now) != nil {
		t.Error("a progress line on a strings.Builder, which is no terminal")
	}
}
