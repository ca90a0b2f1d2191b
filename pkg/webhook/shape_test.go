package webhook

import (
	"regexp"
	"testing"
)

// The hand-written shapes say exactly what the regular expressions they replaced said.
func FuzzShapesMatchTheirPatterns(f *testing.F) {
	shapes := []struct {
		re *regexp.Regexp
		fn func(string) bool
	}{
		{regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`), isDataKey},
		{regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`), isDataValue},
		{regexp.MustCompile(`^[0-9]{17}[0-9Xx]$`), isResidentID},
		{regexp.MustCompile(`^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$`), isCreditCode},
	}
	for _, seed := range []string{"", "a", "account_id", "A", "_a", "11010519491231002X", "11010519491231002x", "1101051949123100",
		"91350100M000100Y43", "91350100M000100I43", "9135010AM000100Y43", "evt_01jf2x3y4z5a6b7c8d9e0f1g2h_5", "a.b:c-d", "a b", "ü"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, sh := range shapes {
			if got, want := sh.fn(s), sh.re.MatchString(s); got != want {
				t.Errorf("shape %d on %q = %v, its pattern says %v", i, s, got, want)
			}
		}
	})
}
