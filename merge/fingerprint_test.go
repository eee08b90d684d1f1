package merge

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/scv-go/scv/identity"
)

// fill sets every leaf under v to a value derived from n, and every slice
// to one element, so that each leaf can then be changed alone.
func fill(t *testing.T, v reflect.Value, n int) {
	t.Helper()
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2026, 1, 1+n, 0, 0, 0, 0, time.UTC)))
		return
	case v.Type() == reflect.TypeFor[identity.Phone]():
		p, err := identity.ParsePhone([]string{"+8613912340001", "+8613912340002"}[n%2], "CN")
		if err != nil {
			t.Fatal(err)
		}
		v.Set(reflect.ValueOf(p))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString([]string{"a", "b"}[n%2])
	case reflect.Bool:
		v.SetBool(n%2 == 0)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(1 + n))
	case reflect.Uint8:
		v.SetUint(uint64(1 + n))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(t, s.Index(0), n)
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i), n)
		}
	default:
		t.Fatalf("fill: unhandled %s", v.Type())
	}
}

// leaves calls f with a path and a setter for every leaf under v.
func leaves(v reflect.Value, path string, f func(path string, leaf reflect.Value)) {
	if v.Type() == reflect.TypeFor[time.Time]() || v.Type() == reflect.TypeFor[identity.Phone]() {
		f(path, v)
		return
	}
	switch v.Kind() {
	case reflect.Slice:
		leaves(v.Index(0), path+"[0]", f)
	case reflect.Struct:
		for i := range v.NumField() {
			leaves(v.Field(i), path+"."+v.Type().Field(i).Name, f)
		}
	default:
		f(path, v)
	}
}

// TestFingerprintCoversEveryField changes each field of a record alone
// and requires a new fingerprint, except for Line. A field added to
// identity.Record is covered (and tested) without a change here.
func TestFingerprintCoversEveryField(t *testing.T) {
	var base identity.Record
	fill(t, reflect.ValueOf(&base).Elem(), 0)
	want := Fingerprint(&base)
	seen := map[string]string{want: "base"}
	count := 0
	leaves(reflect.ValueOf(&base).Elem(), "Record", func(path string, _ reflect.Value) {
		count++
		var changed identity.Record
		fill(t, reflect.ValueOf(&changed).Elem(), 0)
		leaves(reflect.ValueOf(&changed).Elem(), "Record", func(p string, leaf reflect.Value) {
			if p == path {
				fill(t, leaf, 1)
			}
		})
		got := Fingerprint(&changed)
		if path == "Record.Line" {
			if got != want {
				t.Errorf("Line changed the fingerprint")
			}
			return
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("changing %s gives the fingerprint of %s: Fingerprint ignores the field; write it in appendRecord (fingerprint.go) at its index", path, prev)
		}
		seen[got] = path
	})
	if count < 50 {
		t.Errorf("only %d leaves visited", count)
	}
	// Equal instants in another time zone are equal content.
	zoned := base
	zoned.Observed = base.Observed.In(time.FixedZone("CST", 8*3600))
	if Fingerprint(&zoned) != want {
		t.Error("the time zone changed the fingerprint")
	}
	// Nil and empty slices are equal content.
	a, b := identity.Record{ID: "x"}, identity.Record{ID: "x", Orders: []identity.Order{}}
	if Fingerprint(&a) != Fingerprint(&b) {
		t.Error("an empty slice changed the fingerprint")
	}
}

// randomValue sets v, and everything under it, to random values by
// reflection: unexported fields too (identity.Phone's), slices nil, empty
// or up to three long, strings from empty to longer than Fingerprint's
// stack buffer, times zero or in any zone and century, integers of any
// size and sign.
func randomValue(rng *rand.Rand, v reflect.Value) {
	if !v.CanSet() {
		v = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
	}
	if v.Type() == reflect.TypeFor[time.Time]() {
		var t time.Time
		if rng.IntN(4) != 0 {
			t = time.Unix(rng.Int64N(1<<36)-1<<35, rng.Int64N(1e9))
			t = t.In(time.FixedZone("Z", (rng.IntN(27)-12)*3600))
		}
		v.Set(reflect.ValueOf(t))
		return
	}
	switch v.Kind() {
	case reflect.String:
		pool := []string{"", "a", "王芳", "+8613912345678", "微信用户", strings.Repeat("长", 50), strings.Repeat("x", 1500)}
		v.SetString(pool[rng.IntN(len(pool))] + fmt.Sprint(rng.IntN(3)))
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := []int64{0, 1, -1, 127, 128, -129, math.MaxInt32, math.MinInt64, rng.Int64()}[rng.IntN(9)]
		if v.OverflowInt(n) {
			n = int64(int8(n))
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n := []uint64{0, 1, 127, 128, 255, rng.Uint64()}[rng.IntN(6)]
		if v.OverflowUint(n) {
			n = uint64(uint8(n))
		}
		v.SetUint(n)
	case reflect.Slice:
		n := rng.IntN(5) - 1
		if n < 0 {
			v.SetZero()
			return
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			randomValue(rng, s.Index(i))
		}
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			randomValue(rng, v.Field(i))
		}
	default:
		panic("randomValue: unhandled " + v.Type().String())
	}
}

func randomRecord(seed uint64) identity.Record {
	rng := rand.New(rand.NewPCG(seed, seed^0x51ed2701))
	var r identity.Record
	randomValue(rng, reflect.ValueOf(&r).Elem())
	return r
}

// TestFingerprintMatchesReference requires Fingerprint to give exactly
// the digest of the reflection walk it replaced, which made the
// fingerprints stored in profiles, for records with every field, exported
// or not, set at random. A field added to identity.Record and left out of
// Fingerprint fails here too.
func TestFingerprintMatchesReference(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 200
	}
	for seed := range uint64(n) {
		r := randomRecord(seed)
		if got, want := Fingerprint(&r), referenceFingerprint(&r); got != want {
			t.Fatalf("seed %d: Fingerprint = %s, the reference gives %s", seed, got, want)
		}
	}
	// Fixed values: the digests stored profiles hold must never change.
	referrer, err := identity.ParsePhone("13912340001", "CN")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 6, 10, 15, 20, 0, 0, time.FixedZone("CST", 8*3600))
	full := identity.Record{
		Channel: identity.ChannelEcommerce, Source: "tmall", ID: "3301000000001002", Line: 7, Observed: at,
		Identifiers: []identity.Identifier{{Kind: identity.KindBuyer, Scope: "taobao", Value: "AAKe7P10"}, {Kind: identity.KindPhone, Value: "+8613912345601"}},
		Withheld:    []identity.Withheld{{Field: "receiver_phone", Reason: "masked_phone", Value: "159****2310"}},
		Attributes: identity.Attributes{
			Name: "王芳", Nickname: "芳芳", Gender: identity.GenderFemale, Birthday: identity.Date{Year: 1990, Month: 3, Day: 1},
			Country: "中国", Province: "广东", City: "深圳", District: "南山区", Language: "zh_CN", Remark: "VIP", Bio: "喜欢护肤",
			Tags: []string{"2", "101"}, Followers: 300, AccountCreated: at.AddDate(-5, 0, 0),
		},
		Orders: []identity.Order{{Platform: "taobao", ID: "3301000000001002", Status: identity.OrderPaid, AmountFen: 38900, Currency: "CNY", Time: at,
			Category: "50011977", Store: "flagship", Items: []identity.Item{{ID: "1", Title: "精华液", Quantity: 1, PriceFen: 28900, Category: "50011977"}}}},
		Interactions: []identity.Interaction{{Type: identity.InteractionComment, ID: "501", Time: at, Text: "好用", Detail: "scene"}},
		Feedback:     []identity.Feedback{{Kind: identity.FeedbackNPS, Score: 9, Text: "推荐", Time: at}},
		Referrals:    []identity.Referral{{Referrer: referrer, Time: at}},
		Consent:      []identity.Consent{{Purpose: identity.PurposeMarketing, Granted: true, Time: at}},
		Warnings:     []identity.Warning{{Field: "buyer_nick", Reason: "masked_value"}},
	}
	var zero identity.Record
	for _, tc := range []struct {
		name string
		rec  *identity.Record
		want string
	}{
		{"zero record", &zero, "5f18ea8c1bce3004d48fed5fad0abeb4"},
		{"every field", &full, "0bff9c331ca91bb50ebba5a853417128"},
	} {
		if ref := referenceFingerprint(tc.rec); ref != tc.want {
			t.Errorf("%s: the reference gives %s, want %s", tc.name, ref, tc.want)
		}
		if got := Fingerprint(tc.rec); got != tc.want {
			t.Errorf("%s: Fingerprint = %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestAppendValueMatchesReference checks the reflection walk that digests
// identity.Phone on the kinds identity.Phone does not have yet, so that
// a field of any kind added to it keeps the reference's digest.
func TestAppendValueMatchesReference(t *testing.T) {
	type inner struct {
		F float64
		P *int
		I any
	}
	seven := 7
	for _, v := range []any{
		struct {
			M map[string]int
			S []inner
			A [2]bool
			C chan int
			u uint16
		}{M: map[string]int{"b": 2, "a": 1, "c": 3}, S: []inner{{F: 1.5, P: &seven, I: "x"}, {}}, A: [2]bool{true, false}, u: 300},
		map[int][]string{1: {"x"}, 2: nil},
		time.Date(1969, 12, 31, 23, 59, 59, 5, time.UTC),
	} {
		h := sha256.New()
		(&refDigester{h: h}).value(reflect.ValueOf(v))
		if got, want := sha256.Sum256(appendValue(nil, reflect.ValueOf(v))), h.Sum(nil); !bytes.Equal(got[:], want) {
			t.Errorf("appendValue(%T) differs from the reference walk", v)
		}
	}
}

// FuzzFingerprint compares Fingerprint with the reference walk on random
// records.
func FuzzFingerprint(f *testing.F) {
	for seed := range uint64(8) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		r := randomRecord(seed)
		if got, want := Fingerprint(&r), referenceFingerprint(&r); got != want {
			t.Fatalf("Fingerprint = %s, the reference gives %s", got, want)
		}
		r.Line++
		if got := Fingerprint(&r); got != referenceFingerprint(&r) {
			t.Fatal("Line changed the fingerprint")
		}
	})
}

func TestMulDivRound(t *testing.T) {
	tests := []struct{ a, b, d, want int64 }{
		{3, 1, 2, 2},     // 1.5 rounds up
		{301, 1, 3, 100}, // 100.33 rounds down
		{10000, 1095, 365, 30000},
		{1 << 62, 1095, 365, 1<<63 - 1}, // saturates
		{0, 1095, 365, 0},
	}
	for _, tc := range tests {
		if got := mulDivRound(tc.a, tc.b, tc.d); got != tc.want {
			t.Errorf("mulDivRound(%d, %d, %d) = %d, want %d", tc.a, tc.b, tc.d, got, tc.want)
		}
	}
	if got := addSat(1<<62, 1<<62); got != 1<<63-1 {
		t.Errorf("addSat overflow = %d", got)
	}
}
