package idcheck

import (
	"strings"
	"testing"
)

// makeUSCC completes 17 characters with their check character, computed from the
// definition rather than the production tables: weight 3^i mod 31, character values in
// the order of the GB 32100 character set, check value (31 - sum mod 31) mod 31.
func makeUSCC(t testing.TB, first17 string) string {
	t.Helper()
	const set = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	if len(first17) != 17 {
		t.Fatalf("makeUSCC(%q): want 17 characters", first17)
	}
	sum, w := 0, 1
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(set, first17[i])
		if v < 0 {
			t.Fatalf("makeUSCC(%q): %q is not in the character set", first17, first17[i])
		}
		sum += v * w
		w = w * 3 % 31
	}
	return first17 + string(set[(31-sum%31)%31])
}

func TestUSCCSamples(t *testing.T) {
	for _, code := range []string{
		"91350100M000100Y43", // the example of GB 32100-2015
		"91110000600037341L", // the example python-stdnum documents
	} {
		if got, err := USCC(code); err != nil || got != code {
			t.Errorf("USCC(%q) = %q, %v; want it accepted unchanged", code, got, err)
		}
		if g := makeUSCC(t, code[:17]); g != code {
			t.Errorf("generator gives %q for the sample %q", g, code)
		}
		// Real codes embed a GB 11714 organization code at positions 9-17. USCC does not
		// enforce it (see its doc comment), but the samples do satisfy it.
		if _, err := OrganizationCode(code[8:17]); err != nil {
			t.Errorf("embedded organization code %q of %q: %v", code[8:17], code, err)
		}
	}
}

func TestUSCC(t *testing.T) {
	valid := "91350100M000100Y43"
	tests := []struct{ name, in, want, reason string }{
		{name: "sample", in: valid, want: valid},
		{name: "lower case", in: "91350100m000100y43", want: valid},
		{name: "surrounding whitespace", in: "\t " + valid + " \u3000\n", want: valid},
		{name: "check 0 (31 becomes 0)", in: "91110000MA000000F0", want: "91110000MA000000F0"},
		{name: "letters in every position", in: makeUSCC(t, "Y1ABCDEFGHJKLMNPQ"), want: makeUSCC(t, "Y1ABCDEFGHJKLMNPQ")},

		{name: "empty", in: "", reason: "must be 18 characters"},
		{name: "17 characters", in: valid[:17], reason: "must be 18 characters"},
		{name: "19 characters", in: valid + "0", reason: "must be 18 characters"},
		{name: "15-digit registration number", in: "110108000000016", reason: "must be 18 characters"},
		{name: "check character", in: valid[:17] + "4", reason: "check character does not match"},
		{name: "transposed", in: "91351000M000100Y43", reason: "check character does not match"},
		{name: "letter I", in: "91350100I000100Y43", reason: "must contain only digits and the letters A-Z except I, O, S, V and Z"},
		{name: "letter O", in: "91350100O000100Y43", reason: "must contain only digits and the letters A-Z except I, O, S, V and Z"},
		{name: "letter S", in: "91350100S000100Y43", reason: "must contain only digits and the letters A-Z except I, O, S, V and Z"},
		{name: "letter V", in: "91350100V000100Y43", reason: "must contain only digits and the letters A-Z except I, O, S, V and Z"},
		{name: "letter Z", in: "91350100Z000100Y43", reason: "must contain only digits and the letters A-Z except I, O, S, V and Z"},
		{name: "dotless i does not become I", in: "91350100\u0131000100Y43", reason: "must contain only digits and the letters A-Z except I, O, S, V and Z"},
		{name: "hyphen", in: "91350100-M000100Y43", reason: "must contain only digits and the letters A-Z except I, O, S, V and Z"},
		{name: "inner space", in: "913501 00M000100Y43", reason: "must not contain spaces"},
		{name: "full-width", in: "９１350100M000100Y43", reason: "must not contain full-width characters"},
		{name: "invalid UTF-8", in: "91350100M000100Y4\x80", reason: "must contain only digits and the letters A-Z except I, O, S, V and Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := USCC(tc.in)
			if tc.reason != "" {
				if err == nil || err.Error() != tc.reason || got != "" {
					t.Fatalf("USCC(%q) = %q, %v; want error %q", tc.in, got, err, tc.reason)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("USCC(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// A wrong check character is refused for every one of the 31 possible characters but
// the right one, and every single-character substitution of the body is detected.
func TestUSCCSingleCharacterErrors(t *testing.T) {
	valid := makeUSCC(t, "92440300MA5DXY123")
	for i := 0; i < 18; i++ {
		for _, c := range []byte(usccAlphabet) {
			if c == valid[i] {
				continue
			}
			in := valid[:i] + string(c) + valid[i+1:]
			if got, err := USCC(in); err == nil {
				t.Errorf("USCC(%q) = %q, want an error (position %d changed)", in, got, i+1)
			}
		}
	}
}

// FuzzUSCC: never panics; an accepted value is 18 characters of the GB 32100 set with
// the right check character, equals the trimmed input up to ASCII case, and is
// accepted again unchanged.
func FuzzUSCC(f *testing.F) {
	for _, s := range []string{
		"91350100M000100Y43", "91350100m000100y43", "91110000600037341L", " 91350100M000100Y43 ",
		"91350100I000100Y43", "913501 00M000100Y43", "９１350100M000100Y43", "", "110108000000016",
		"91350100\u0131000100Y43", "91350100M000100Y4\x80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := USCC(s)
		if err != nil {
			if got != "" || err.Error() == "" {
				t.Fatalf("USCC(%q) = %q, %v: an error must come with no value and a reason", s, got, err)
			}
			return
		}
		if len(got) != 18 {
			t.Fatalf("USCC(%q) = %q, not 18 characters", s, got)
		}
		for i := 0; i < 18; i++ {
			if strings.IndexByte(usccAlphabet, got[i]) < 0 {
				t.Fatalf("USCC(%q) = %q, character %d outside the set", s, got, i+1)
			}
		}
		if want := makeUSCC(t, got[:17]); got != want {
			t.Fatalf("USCC(%q) = %q, generator says %q", s, got, want)
		}
		if trimmed := strings.TrimSpace(s); len(trimmed) != 18 || strings.ToUpper(trimmed) != got {
			t.Fatalf("USCC(%q) = %q changes more than ASCII case", s, got)
		}
		if again, err := USCC(got); err != nil || again != got {
			t.Fatalf("USCC(%q) = %q, %v; not idempotent", got, again, err)
		}
	})
}
