package idcheck

import (
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
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
		{name: "letters in every subject code position", in: makeUSCC(t, "Y1100000ABCDEFGHJ"), want: makeUSCC(t, "Y1100000ABCDEFGHJ")},
		{name: "individual business (92)", in: makeUSCC(t, "92440300MA5DXY123"), want: makeUSCC(t, "92440300MA5DXY123")},
		{name: "farmers' cooperative (93)", in: makeUSCC(t, "93510100MA6CJ5T2X"), want: makeUSCC(t, "93510100MA6CJ5T2X")},
		{name: "public institution (12)", in: makeUSCC(t, "12100000400000624"), want: makeUSCC(t, "12100000400000624")},
		{name: "social organisation (51)", in: makeUSCC(t, "51110000500020356"), want: makeUSCC(t, "51110000500020356")},
		{name: "law firm (31)", in: makeUSCC(t, "31310000425005013"), want: makeUSCC(t, "31310000425005013")},
		{name: "arbitration commission (35)", in: makeUSCC(t, "35440300MB2C6541X"), want: makeUSCC(t, "35440300MB2C6541X")},
		{name: "religious college (72)", in: makeUSCC(t, "72110000MC0088765"), want: makeUSCC(t, "72110000MC0088765")},
		{name: "military public institution (A1)", in: makeUSCC(t, "A1100000MD0000013"), want: makeUSCC(t, "A1100000MD0000013")},
		{name: "village collective (N2)", in: makeUSCC(t, "N2330102ME0000018"), want: makeUSCC(t, "N2330102ME0000018")},
		{name: "other authority (Y1)", in: makeUSCC(t, "Y1110000MF0000012"), want: makeUSCC(t, "Y1110000MF0000012")},
		{name: "lower-case authority letter", in: strings.ToLower(makeUSCC(t, "N1330102ME0000018")), want: makeUSCC(t, "N1330102ME0000018")},
		{name: "division 000000 (no rule refuses it)", in: makeUSCC(t, "91000000M00000001"), want: makeUSCC(t, "91000000M00000001")},

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

		// The structure, each with a right check character: issue 11's example first.
		{name: "letters in the division code", in: "9135A100M000100Y4Y", reason: "characters 3 to 8 (administrative division code) must be digits"},
		{name: "division code all letters", in: makeUSCC(t, "91ABCDEFM00000001"), reason: "characters 3 to 8 (administrative division code) must be digits"},
		{name: "letter last in the division code", in: makeUSCC(t, "9135010AM00000001"), reason: "characters 3 to 8 (administrative division code) must be digits"},
		{name: "authority 0", in: makeUSCC(t, "01350100M00000001"), reason: "the 1st character (registration authority code) must be one of 1-9, A, N or Y"},
		{name: "authority B", in: makeUSCC(t, "B1350100M00000001"), reason: "the 1st character (registration authority code) must be one of 1-9, A, N or Y"},
		{name: "authority X", in: makeUSCC(t, "X1350100M00000001"), reason: "the 1st character (registration authority code) must be one of 1-9, A, N or Y"},
		{name: "market regulation type 4", in: makeUSCC(t, "94350100M00000001"), reason: "the 2nd character (organization type code) must be 1, 2 or 3 for registration authority 9"},
		{name: "market regulation type 9", in: makeUSCC(t, "99350100M00000001"), reason: "the 2nd character (organization type code) must be 1, 2 or 3 for registration authority 9"},
		{name: "market regulation type 0", in: makeUSCC(t, "90350100M00000001"), reason: "the 2nd character (organization type code) must be 1, 2 or 3 for registration authority 9"},
		{name: "market regulation type letter", in: makeUSCC(t, "9A350100M00000001"), reason: "the 2nd character (organization type code) must be 1, 2 or 3 for registration authority 9"},
		{name: "staffing type 4", in: makeUSCC(t, "14350100M00000001"), reason: "the 2nd character (organization type code) must be 1, 2, 3 or 9 for registration authority 1"},
		{name: "civil affairs type 5", in: makeUSCC(t, "55350100M00000001"), reason: "the 2nd character (organization type code) must be 1, 2, 3 or 9 for registration authority 5"},
		{name: "foreign affairs type 2", in: makeUSCC(t, "22350100M00000001"), reason: "the 2nd character (organization type code) must be 1 or 9 for registration authority 2"},
		{name: "justice type 6", in: makeUSCC(t, "36350100M00000001"), reason: "the 2nd character (organization type code) must be 1, 2, 3, 4, 5 or 9 for registration authority 3"},
		{name: "other authority type 9", in: makeUSCC(t, "Y9350100M00000001"), reason: "the 2nd character (organization type code) must be 1 for registration authority Y"},
		{name: "agriculture type 4", in: makeUSCC(t, "N4350100M00000001"), reason: "the 2nd character (organization type code) must be 1, 2, 3 or 9 for registration authority N"},
		// A code wrong in its structure and its check character is refused for the structure.
		{name: "bad division and check", in: "9135A100M000100Y43", reason: "characters 3 to 8 (administrative division code) must be digits"},
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

// Every pair of the code table is accepted and every other authority and type character
// is refused, with a right check character each time.
func TestUSCCAuthorityTypePairs(t *testing.T) {
	for _, a := range []byte(usccAlphabet) {
		for _, ty := range []byte(usccAlphabet) {
			code := makeUSCC(t, string([]byte{a, ty})+"440300MA5DXY123")
			got, err := USCC(code)
			types, known := idchecktest.USCCTypes[a]
			want := known && strings.IndexByte(types, ty) >= 0
			switch {
			case want && (err != nil || got != code):
				t.Errorf("USCC(%q) = %q, %v; want it accepted (authority %c, type %c)", code, got, err, a, ty)
			case !want && err == nil:
				t.Errorf("USCC(%q) accepted; authority %c with type %c is not in the table", code, a, ty)
			case !want && !known && err.Error() != errUSCCAuthority.Error():
				t.Errorf("USCC(%q): %v; want the authority reason", code, err)
			case !want && known && !strings.Contains(err.Error(), "2nd character (organization type code)"):
				t.Errorf("USCC(%q): %v; want the type reason", code, err)
			}
		}
	}
	if len(usccTypes) != len(idchecktest.USCCTypes) {
		t.Errorf("usccTypes has %d authorities, idchecktest.USCCTypes %d", len(usccTypes), len(idchecktest.USCCTypes))
	}
}

// The generators of idchecktest make codes USCC accepts, and refuse to make one it would
// refuse for its structure.
func TestUSCCGenerator(t *testing.T) {
	for _, first17 := range []string{"91350100M000100Y4", "92440300MA5DXY123", "Y1110000MF0000012", "N9110000MF0000012"} {
		code := idchecktest.USCC(first17)
		if got, err := USCC(code); err != nil || got != code {
			t.Errorf("USCC(idchecktest.USCC(%q)) = %q, %v", first17, got, err)
		}
	}
	for _, first17 := range []string{"9135A100M000100Y4", "94350100M000100Y4", "Z1350100M000100Y4", "91"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("idchecktest.USCC(%q) did not panic", first17)
				}
			}()
			idchecktest.USCC(first17)
		}()
	}
	if got := idchecktest.USCCAnyStructure("9135A100M000100Y4"); got != "9135A100M000100Y4Y" {
		t.Errorf("USCCAnyStructure = %q, want issue 11's example", got)
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
// an authority and type pair of the code table (idchecktest's copy), 6 digits at
// positions 3-8 and the right check character, equals the trimmed input up to ASCII
// case, and is accepted again unchanged.
func FuzzUSCC(f *testing.F) {
	for _, s := range []string{
		"91350100M000100Y43", "91350100m000100y43", "91110000600037341L", " 91350100M000100Y43 ",
		"91350100I000100Y43", "913501 00M000100Y43", "９１350100M000100Y43", "", "110108000000016",
		"91350100\u0131000100Y43", "91350100M000100Y4\x80", "9135A100M000100Y4Y", "94350100M000100Y4R",
		"Y1110000MF0000012D", "n2330102me0000018t", "01350100M00000001C", "92440300MA5DXY1239",
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
		if types, ok := idchecktest.USCCTypes[got[0]]; !ok || strings.IndexByte(types, got[1]) < 0 {
			t.Fatalf("USCC(%q) = %q: authority %c with type %c is not in the table", s, got, got[0], got[1])
		}
		for i := 2; i < 8; i++ {
			if got[i] < '0' || got[i] > '9' {
				t.Fatalf("USCC(%q) = %q: character %d of the division code is not a digit", s, got, i+1)
			}
		}
		if !idchecktest.USCCStructureOK(got) {
			t.Fatalf("USCC(%q) = %q: idchecktest says the structure is wrong", s, got)
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
