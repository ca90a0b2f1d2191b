package idcheck

import (
	"strings"
	"testing"
)

// makeOrgCode completes 8 body characters with their check character, computed from the
// definition rather than the production tables: weight 2^(8-i) mod 11 at 0-based
// position i, a letter worth 10
// for A up to 35 for Z, check 11 - (sum mod 11), 10 written X and 11 written 0.
func makeOrgCode(t testing.TB, body string) string {
	t.Helper()
	if len(body) != 8 {
		t.Fatalf("makeOrgCode(%q): want 8 characters", body)
	}
	sum := 0
	for i := 0; i < 8; i++ {
		w := 1
		for range 8 - i {
			w = w * 2 % 11
		}
		v := strings.IndexByte("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", body[i])
		if v < 0 {
			t.Fatalf("makeOrgCode(%q): %q is not a digit or upper-case letter", body, body[i])
		}
		sum += v * w
	}
	switch c := 11 - sum%11; c {
	case 10:
		return body + "X"
	case 11:
		return body + "0"
	default:
		return body + string(rune('0'+c))
	}
}

func TestOrganizationCode(t *testing.T) {
	const chars = "must contain only digits and the letters A-Z, with an optional hyphen before the check character"
	tests := []struct{ name, in, want, reason string }{
		{name: "GB 11714 sample with hyphen", in: "D2143569-X", want: "D2143569X"},
		{name: "GB 11714 sample without hyphen", in: "D2143569X", want: "D2143569X"},
		{name: "lower case", in: "d2143569-x", want: "D2143569X"},
		{name: "surrounding whitespace", in: " \u3000D2143569-X\t", want: "D2143569X"},
		{name: "check 0 (11 written 0)", in: "12345671-0", want: "123456710"},
		{name: "check X (10 written X)", in: "12345677X", want: "12345677X"},
		{name: "digit check", in: "12345678-8", want: "123456788"},
		{name: "letters", in: "MA5AP9E3-X", want: "MA5AP9E3X"},
		{name: "letters I O S V Z allowed in GB 11714", in: makeOrgCode(t, "IOSVZ000"), want: makeOrgCode(t, "IOSVZ000")},
		{name: "embedded in the GB 32100 sample", in: "M000100Y4", want: "M000100Y4"},

		{name: "empty", in: "", reason: "must be 9 characters: 8 and a check character"},
		{name: "8 characters", in: "D2143569", reason: "must be 9 characters: 8 and a check character"},
		{name: "10 characters", in: "D2143569X0", reason: "must be 9 characters: 8 and a check character"},
		{name: "hyphen, no check", in: "D2143569-", reason: "must be 9 characters: 8 and a check character"},
		{name: "check character", in: "D2143569-1", reason: "check character does not match"},
		{name: "X where a digit belongs", in: "12345678-X", reason: "check character does not match"},
		{name: "letter check other than X", in: "D2143569-A", reason: "check character does not match"},
		{name: "transposed", in: "D1243569-X", reason: "check character does not match"},
		{name: "hyphen elsewhere", in: "D214-3569X", reason: chars},
		{name: "two hyphens", in: "D2143569--X", reason: chars},
		{name: "inner space", in: "D2143569 X", reason: "must not contain spaces"},
		{name: "full-width hyphen", in: "D2143569－X", reason: "must not contain full-width characters"},
		{name: "full-width letter", in: "Ｄ2143569-X", reason: "must not contain full-width characters"},
		{name: "long s does not become S", in: "D2143569\u017f", reason: chars},
		{name: "invalid UTF-8", in: "D2143569\xc0", reason: chars},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OrganizationCode(tc.in)
			if tc.reason != "" {
				if err == nil || err.Error() != tc.reason || got != "" {
					t.Fatalf("OrganizationCode(%q) = %q, %v; want error %q", tc.in, got, err, tc.reason)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("OrganizationCode(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			if g := makeOrgCode(t, got[:8]); g != got {
				t.Errorf("generator gives %q for %q", g, got)
			}
		})
	}
}

// FuzzOrganizationCode: never panics; an accepted value is 8 digits or upper-case ASCII
// letters and the right check character, is the trimmed input up to ASCII case and the
// hyphen, and is accepted again unchanged.
func FuzzOrganizationCode(f *testing.F) {
	for _, s := range []string{
		"D2143569-X", "D2143569X", "d2143569-x", " D2143569-X ", "12345671-0", "D214-3569X",
		"D2143569－X", "D2143569\u017f", "", "-", "D2143569--X", "D2143569\xc0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := OrganizationCode(s)
		if err != nil {
			if got != "" || err.Error() == "" {
				t.Fatalf("OrganizationCode(%q) = %q, %v: an error must come with no value and a reason", s, got, err)
			}
			return
		}
		if len(got) != 9 {
			t.Fatalf("OrganizationCode(%q) = %q, not 9 characters", s, got)
		}
		for i := 0; i < 9; i++ {
			if c := got[i]; !isDigit(c) && (c < 'A' || c > 'Z') {
				t.Fatalf("OrganizationCode(%q) = %q, character %d is not a digit or upper-case letter", s, got, i+1)
			}
		}
		if want := makeOrgCode(t, got[:8]); got != want {
			t.Fatalf("OrganizationCode(%q) = %q, generator says %q", s, got, want)
		}
		trimmed := strings.ToUpper(strings.TrimSpace(s))
		if trimmed != got && trimmed != got[:8]+"-"+got[8:] {
			t.Fatalf("OrganizationCode(%q) = %q changes more than ASCII case and the hyphen", s, got)
		}
		if again, err := OrganizationCode(got); err != nil || again != got {
			t.Fatalf("OrganizationCode(%q) = %q, %v; not idempotent", got, again, err)
		}
	})
}
