package bankverify

import "testing"

// Whatever a client sends as an answer, ParseAmount either refuses it or reads an amount
// in range that writes back to a string it reads again as the same amount.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0.37", ".5", "0.99元", "０．３７", "1.00", "", "0.", "-0.01", "0.1e1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil {
			return
		}
		if a < MinFen || a > MaxFen {
			t.Fatalf("ParseAmount(%q) = %d, out of range", s, a)
		}
		if b, err := ParseAmount(a.String()); err != nil || b != a {
			t.Fatalf("ParseAmount(%q) = %d, whose String %q reads as %d, %v", s, a, a.String(), b, err)
		}
	})
}
