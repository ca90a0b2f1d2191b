package idcheck

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// residentIDTestNow is the fixed "now" of the table tests: 15 June 2025, 20:00 in Beijing.
var residentIDTestNow = time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)

// makeResidentID completes 17 digits with their check character, computed the way the
// standard states it rather than with the production tables: weight 2^(17-i) mod 11 for
// 0-based digit i, and the check value c with (sum + c) mod 11 = 1, 10 written X. The test data
// below is synthetic: no real person's number appears in this package.
func makeResidentID(t testing.TB, first17 string) string {
	t.Helper()
	if len(first17) != 17 {
		t.Fatalf("makeResidentID(%q): want 17 digits", first17)
	}
	sum := 0
	for i := 0; i < 17; i++ {
		w := 1
		for range 17 - i {
			w = w * 2 % 11
		}
		sum += int(first17[i]-'0') * w
	}
	c := ((1-sum)%11 + 11) % 11
	if c == 10 {
		return first17 + "X"
	}
	return first17 + string(rune('0'+c))
}

// corruptCheck returns id with a wrong check character.
func corruptCheck(id string) string {
	if id[17] == '0' {
		return id[:17] + "1"
	}
	return id[:17] + "0"
}

func TestResidentIDStandardSamples(t *testing.T) {
	// The two samples printed in GB 11643-1999 itself, with the checks computed by hand
	// in the standard; they must pass against the production tables and the generator.
	for _, id := range []string{"11010519491231002X", "440524188001010014"} {
		got, err := ResidentID(id)
		if err != nil || got != id {
			t.Errorf("ResidentID(%q) = %q, %v; want it accepted unchanged", id, got, err)
		}
		if g := makeResidentID(t, id[:17]); g != id {
			t.Errorf("generator gives %q for the standard sample %q", g, id)
		}
	}
}

func TestResidentIDAt(t *testing.T) {
	id := func(first17 string) string { return makeResidentID(t, first17) }
	valid := id("11010519491231002")
	tests := []struct {
		name, in, want, reason string
		now                    time.Time
	}{
		{name: "generated", in: id("32010219900307123"), want: id("32010219900307123")},
		{name: "check X", in: "11010519491231002X", want: "11010519491231002X"},
		{name: "lower-case x", in: "11010519491231002x", want: "11010519491231002X"},
		{name: "surrounding spaces", in: " \t" + valid + "\n ", want: valid},
		{name: "ideographic spaces around", in: "\u3000" + valid + "\u3000", want: valid},
		{name: "born 1880, no lower bound", in: "440524188001010014", want: "440524188001010014"},
		{name: "born in year 1000", in: id("11010510000101001"), want: id("11010510000101001")},
		{name: "leap day 2000", in: id("11010520000229001"), want: id("11010520000229001")},
		{name: "leap day 2024", in: id("11010520240229001"), want: id("11010520240229001")},
		{name: "born today", in: id("11010520250615001"), want: id("11010520250615001")},
		{name: "province 15", in: id("15010219900101001"), want: id("15010219900101001")},
		{name: "province 71 Taiwan", in: id("71000019900101001"), want: id("71000019900101001")},
		{name: "province 81 Hong Kong", in: id("81000019900101001"), want: id("81000019900101001")},
		{name: "province 82 Macao", in: id("82000019900101001"), want: id("82000019900101001")},
		{name: "province 83", in: id("83000019900101001"), want: id("83000019900101001")},
		{name: "abolished county code still accepted", in: id("11010319700101001"), want: id("11010319700101001")},
		{
			name: "born today in Beijing though still yesterday in UTC",
			in:   id("11010520250616001"), want: id("11010520250616001"),
			now: time.Date(2025, 6, 15, 16, 30, 0, 0, time.UTC),
		},

		{name: "empty", in: "", reason: "must be 18 characters"},
		{name: "only spaces", in: "   ", reason: "must be 18 characters"},
		{name: "17 digits", in: valid[:17], reason: "must be 18 characters"},
		{name: "19 digits", in: valid[:17] + "11", reason: "must be 18 characters"},
		{name: "15 digits", in: "110105491231002", reason: "15-digit numbers are no longer accepted"},
		{name: "15 characters ending in X", in: "11010549123100X", reason: "must be 18 characters"},
		{name: "inner space", in: "110105 19491231002X", reason: "must not contain spaces"},
		{name: "inner ideographic space", in: "110105\u300019491231002X", reason: "must not contain spaces"},
		{name: "full-width digits", in: "１１０１０５１９４９１２３１００２Ｘ", reason: "must not contain full-width characters"},
		{name: "one full-width digit", in: "11010519491231002０", reason: "must not contain full-width characters"},
		{name: "Arabic-Indic digit", in: "11010519491231002\u0660", reason: "must contain only digits and a final X"},
		{name: "hyphens", in: "110105-19491231-002X", reason: "must contain only digits and a final X"},
		{name: "X not last", in: "1101051949123100X2", reason: "must contain only digits and a final X"},
		{name: "letter", in: "11010519491231002A", reason: "must contain only digits and a final X"},
		{name: "invalid UTF-8", in: "11010519491231002\xff", reason: "must contain only digits and a final X"},
		{name: "NUL", in: "1101051949123100\x002", reason: "must contain only digits and a final X"},
		{name: "check digit", in: corruptCheck(valid), reason: "check digit does not match"},
		{name: "check digit instead of X", in: "110105194912310021", reason: "check digit does not match"},
		{name: "swapped digits", in: "11010519491231020X", reason: "check digit does not match"},
		{name: "province 00", in: id("00010519900101001"), reason: "unknown province code"},
		{name: "province 10", in: id("10010519900101001"), reason: "unknown province code"},
		{name: "province 16", in: id("16010519900101001"), reason: "unknown province code"},
		{name: "province 24", in: id("24010519900101001"), reason: "unknown province code"},
		{name: "province 38", in: id("38010519900101001"), reason: "unknown province code"},
		{name: "province 47", in: id("47010519900101001"), reason: "unknown province code"},
		{name: "province 55", in: id("55010519900101001"), reason: "unknown province code"},
		{name: "province 66", in: id("66010519900101001"), reason: "unknown province code"},
		{name: "province 72", in: id("72010519900101001"), reason: "unknown province code"},
		{name: "province 84", in: id("84010519900101001"), reason: "unknown province code"},
		{name: "province 91", in: id("91010519900101001"), reason: "unknown province code"},
		{name: "leap day 1900", in: id("11010519000229001"), reason: "birth date is not a real date"},
		{name: "leap day 2023", in: id("11010520230229001"), reason: "birth date is not a real date"},
		{name: "February 30", in: id("11010520000230001"), reason: "birth date is not a real date"},
		{name: "April 31", in: id("11010519900431001"), reason: "birth date is not a real date"},
		{name: "month 00", in: id("11010519900001001"), reason: "birth date is not a real date"},
		{name: "month 13", in: id("11010519901301001"), reason: "birth date is not a real date"},
		{name: "day 00", in: id("11010519900100001"), reason: "birth date is not a real date"},
		{name: "day 32", in: id("11010519900132001"), reason: "birth date is not a real date"},
		{name: "born tomorrow", in: id("11010520250616001"), reason: "birth date is in the future"},
		{name: "born next year", in: id("11010520260101001"), reason: "birth date is in the future"},
		{name: "born in year 9999", in: id("11010599991231001"), reason: "birth date is in the future"},
		{
			name: "born tomorrow in Beijing, today in UTC",
			in:   id("11010520250616001"), reason: "birth date is in the future",
			now: time.Date(2025, 6, 15, 15, 59, 59, 0, time.UTC),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = residentIDTestNow
			}
			got, err := ResidentIDAt(tc.in, now)
			if tc.reason != "" {
				if err == nil || err.Error() != tc.reason {
					t.Fatalf("ResidentIDAt(%q) = %q, %v; want error %q", tc.in, got, err, tc.reason)
				}
				if got != "" {
					t.Errorf("ResidentIDAt(%q) returned %q with an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ResidentIDAt(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// Every change of one of the first 17 digits must be refused: the weights are non-zero
// mod 11, so a single substitution always changes the check (or breaks another rule).
func TestResidentIDSingleDigitErrors(t *testing.T) {
	valid := makeResidentID(t, "32010219900307123")
	for i := 0; i < 17; i++ {
		for d := byte('0'); d <= '9'; d++ {
			if d == valid[i] {
				continue
			}
			in := valid[:i] + string(d) + valid[i+1:]
			if got, err := ResidentIDAt(in, residentIDTestNow); err == nil {
				t.Errorf("ResidentIDAt(%q) = %q, want an error (digit %d changed)", in, got, i+1)
			}
		}
	}
}

func TestResidentIDProvinces(t *testing.T) {
	valid := map[int]bool{71: true, 81: true, 82: true, 83: true}
	for _, r := range [][2]int{{11, 15}, {21, 23}, {31, 37}, {41, 46}, {50, 54}, {61, 65}} {
		for p := r[0]; p <= r[1]; p++ {
			valid[p] = true
		}
	}
	for p := 0; p <= 99; p++ {
		in := makeResidentID(t, string(rune('0'+p/10))+string(rune('0'+p%10))+"010519900101001")
		_, err := ResidentIDAt(in, residentIDTestNow)
		if valid[p] != (err == nil) {
			t.Errorf("province %02d: err = %v, want valid = %v", p, err, valid[p])
		}
	}
}

func TestResidentIDUsesCurrentTime(t *testing.T) {
	tomorrow := time.Now().In(chinaTime).AddDate(0, 0, 1)
	in := makeResidentID(t, "110105"+tomorrow.Format("20060102")+"001")
	if _, err := ResidentID(in); err == nil || err.Error() != "birth date is in the future" {
		t.Errorf("ResidentID(born tomorrow) error = %v, want birth date is in the future", err)
	}
}

func TestBirthDate(t *testing.T) {
	got, err := BirthDate(" 11010519491231002x ")
	if want := time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Errorf("BirthDate = %v, %v; want %v", got, err, want)
	}
	got, err = BirthDate("440524188001010014")
	if want := time.Date(1880, 1, 1, 0, 0, 0, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Errorf("BirthDate = %v, %v; want %v", got, err, want)
	}
	if got, err := BirthDate(corruptCheck("11010519491231002X")); err == nil || !got.IsZero() {
		t.Errorf("BirthDate(bad check) = %v, %v; want zero time and an error", got, err)
	}
}

// residentIDFuzzNow is the fuzz target's fixed "now", so that a crash reproduces.
var residentIDFuzzNow = time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)

// FuzzResidentID: never panics; an accepted value has the documented shape, a correct
// check character and a birth date not after now, differs from the trimmed input at most
// by the case of x, and is accepted again unchanged. MaskID is exercised on the same
// inputs: it keeps the character count and shows at most 8 characters.
func FuzzResidentID(f *testing.F) {
	for _, s := range []string{
		"11010519491231002X", "11010519491231002x", "440524188001010014",
		" 11010519491231002X\n", "110105491231002", "１１０１０５１９４９１２３１００２Ｘ",
		"110105 19491231002X", "11010520000229001X", "1101051949123100X2", "",
		"11010519491231002\xff", "\u300011010519491231002X\u3000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		masked := MaskID(s)
		if utf8.RuneCountInString(masked) != utf8.RuneCountInString(s) {
			t.Errorf("MaskID(%q) = %q changes the length", s, masked)
		}
		if shown := utf8.RuneCountInString(strings.ReplaceAll(masked, "*", "")); shown > 8 {
			t.Errorf("MaskID(%q) = %q shows %d characters", s, masked, shown)
		}

		got, err := ResidentIDAt(s, residentIDFuzzNow)
		if err != nil {
			if got != "" || err.Error() == "" {
				t.Fatalf("ResidentIDAt(%q) = %q, %v: an error must come with no value and a reason", s, got, err)
			}
			return
		}
		if len(got) != 18 {
			t.Fatalf("ResidentIDAt(%q) = %q, not 18 characters", s, got)
		}
		for i := 0; i < 17; i++ {
			if !isDigit(got[i]) {
				t.Fatalf("ResidentIDAt(%q) = %q, character %d is not a digit", s, got, i+1)
			}
		}
		if want := makeResidentID(t, got[:17]); got != want {
			t.Fatalf("ResidentIDAt(%q) = %q, generator says %q", s, got, want)
		}
		if trimmed := strings.TrimSpace(s); trimmed != got && trimmed != got[:17]+"x" {
			t.Fatalf("ResidentIDAt(%q) = %q changes more than the case of x", s, got)
		}
		birth, ok := parseBirthDate(got[6:14])
		if !ok || birth.After(residentIDFuzzNow.Add(8*time.Hour)) {
			t.Fatalf("ResidentIDAt(%q) = %q accepted birth date %v", s, got, birth)
		}
		again, err := ResidentIDAt(got, residentIDFuzzNow)
		if err != nil || again != got {
			t.Fatalf("ResidentIDAt(%q) = %q, %v; not idempotent", got, again, err)
		}
	})
}
