package idcheck

import (
	"strings"
	"testing"
)

// makeRegNumber completes 14 digits with the one check digit (of ten) for which the
// ISO 7064 MOD 11,10 recursion run over all 15 digits ends with s = 1, the standard's
// acceptance condition, found by trying each, not with the production formula.
func makeRegNumber(t testing.TB, first14 string) string {
	t.Helper()
	if len(first14) != 14 {
		t.Fatalf("makeRegNumber(%q): want 14 digits", first14)
	}
	found := ""
	for c := byte('0'); c <= '9'; c++ {
		if mod1110Accepts(first14 + string(c)) {
			if found != "" {
				t.Fatalf("makeRegNumber(%q): two check digits", first14)
			}
			found = first14 + string(c)
		}
	}
	if found == "" {
		t.Fatalf("makeRegNumber(%q): no check digit", first14)
	}
	return found
}

func mod1110Accepts(digits string) bool {
	p, s := 10, 0
	for i := 0; i < len(digits); i++ {
		s = (p + int(digits[i]-'0')) % 10
		if s == 0 {
			s = 10
		}
		p = 2 * s % 11
	}
	return s%10 == 1
}

func TestRegistrationNumber(t *testing.T) {
	tests := []struct{ name, in, want, reason string }{
		{name: "GS 15-2006 sample", in: "110108000000016", want: "110108000000016"},
		{name: "generated", in: makeRegNumber(t, "44030010234567"), want: makeRegNumber(t, "44030010234567")},
		{name: "check 0", in: "310000400000050", want: makeRegNumber(t, "31000040000005")},
		{name: "surrounding whitespace", in: "\u3000 110108000000016\n", want: "110108000000016"},

		{name: "empty", in: "", reason: "must be 15 digits"},
		{name: "14 digits", in: "11010800000001", reason: "must be 15 digits"},
		{name: "16 digits", in: "1101080000000160", reason: "must be 15 digits"},
		{name: "18-character USCC", in: "91350100M000100Y43", reason: "must contain only the digits 0-9"},
		{name: "check digit", in: "110108000000017", reason: "check digit does not match"},
		{name: "transposed", in: "110108000000061", reason: "check digit does not match"},
		{name: "inner space", in: "110108 000000016", reason: "must not contain spaces"},
		{name: "full-width digit", in: "11010800000001６", reason: "must not contain full-width characters"},
		{name: "hyphen", in: "110108-000000016", reason: "must contain only the digits 0-9"},
		{name: "invalid UTF-8", in: "11010800000001\xfe", reason: "must contain only the digits 0-9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RegistrationNumber(tc.in)
			if tc.reason != "" {
				if err == nil || err.Error() != tc.reason || got != "" {
					t.Fatalf("RegistrationNumber(%q) = %q, %v; want error %q", tc.in, got, err, tc.reason)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("RegistrationNumber(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// Every single-digit substitution is detected (MOD 11,10 detects all of them).
func TestRegistrationNumberSingleDigitErrors(t *testing.T) {
	valid := makeRegNumber(t, "44030010234567")
	for i := 0; i < 15; i++ {
		for d := byte('0'); d <= '9'; d++ {
			if d == valid[i] {
				continue
			}
			in := valid[:i] + string(d) + valid[i+1:]
			if got, err := RegistrationNumber(in); err == nil {
				t.Errorf("RegistrationNumber(%q) = %q, want an error (digit %d changed)", in, got, i+1)
			}
		}
	}
}

// FuzzRegistrationNumber: never panics; an accepted value is 15 ASCII digits accepted by
// the MOD 11,10 recursion, is the trimmed input, and is accepted again unchanged.
func FuzzRegistrationNumber(f *testing.F) {
	for _, s := range []string{
		"110108000000016", " 110108000000016 ", "110108000000017", "110108 000000016",
		"11010800000001６", "", "91350100M000100Y43", "11010800000001\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := RegistrationNumber(s)
		if err != nil {
			if got != "" || err.Error() == "" {
				t.Fatalf("RegistrationNumber(%q) = %q, %v: an error must come with no value and a reason", s, got, err)
			}
			return
		}
		if len(got) != 15 || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("RegistrationNumber(%q) = %q, not 15 ASCII digits", s, got)
		}
		if !mod1110Accepts(got) {
			t.Fatalf("RegistrationNumber(%q) = %q fails the MOD 11,10 recursion", s, got)
		}
		if strings.TrimSpace(s) != got {
			t.Fatalf("RegistrationNumber(%q) = %q is not the trimmed input", s, got)
		}
		if again, err := RegistrationNumber(got); err != nil || again != got {
			t.Fatalf("RegistrationNumber(%q) = %q, %v; not idempotent", got, again, err)
		}
	})
}
