package match

import "testing"

func FuzzNames(f *testing.F) {
	for _, tc := range nameCases {
		f.Add(tc.a, tc.b)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		got := Names(a, b)
		if back := Names(b, a); back != got {
			t.Errorf("Names(a, b) = %v, Names(b, a) = %v", got, back)
		}
		if self := Names(a, a); self != Exact && self != Unknown {
			t.Errorf("Names(a, a) = %v", self)
		}
		if got >= Same && NameKey(a) != NameKey(b) {
			t.Errorf("Names = %v but keys %q, %q differ", got, NameKey(a), NameKey(b))
		}
		if got == Unknown && !Placeholder(a) && !Placeholder(b) {
			t.Errorf("Unknown for two names that are not placeholders")
		}
		_ = Surname(a)
	})
}
