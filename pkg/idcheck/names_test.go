package idcheck

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestPersonName(t *testing.T) {
	const (
		chars  = "must contain only letters and the middle dot ·"
		dot    = "the middle dot · must stand between two names"
		length = "must be 2 to 30 characters"
	)
	tests := []struct{ name, in, want, reason string }{
		{name: "two Han characters", in: "李四", want: "李四"},
		{name: "three Han characters", in: "王小明", want: "王小明"},
		{name: "transcribed name", in: "买买提·艾力", want: "买买提·艾力"},
		{name: "several dots", in: "阿卜杜·买买提·吐尔逊", want: "阿卜杜·买买提·吐尔逊"},
		{name: "katakana middle dot", in: "买买提・艾力", want: "买买提·艾力"},
		{name: "half-width katakana middle dot", in: "买买提･艾力", want: "买买提·艾力"},
		{name: "bullet", in: "买买提•艾力", want: "买买提·艾力"},
		{name: "hyphenation point", in: "买买提‧艾力", want: "买买提·艾力"},
		{name: "bullet operator", in: "买买提\u2219艾力", want: "买买提·艾力"},
		{name: "dot operator", in: "买买提\u22c5艾力", want: "买买提·艾力"},
		{name: "surrounding whitespace", in: " \u3000李四\t\n", want: "李四"},
		{name: "CJK extension B", in: "王\U00020000", want: "王\U00020000"},
		{name: "iteration mark", in: "佐々木", want: "佐々木"},
		{name: "Latin", in: "Anna", want: "Anna"},
		{name: "combining accent", in: "Jose\u0301", want: "Jose\u0301"},
		{name: "Devanagari vowel sign", in: "देव", want: "देव"},
		{name: "30 characters", in: strings.Repeat("李", 30), want: strings.Repeat("李", 30)},

		{name: "empty", in: "", reason: length},
		{name: "spaces only", in: " \u3000 ", reason: length},
		{name: "one character", in: "李", reason: length},
		{name: "31 characters", in: strings.Repeat("李", 31), reason: length},
		{name: "very long", in: strings.Repeat("李", 1000), reason: length},
		{name: "digit", in: "李四1", reason: chars},
		{name: "full-width digit", in: "李四１", reason: "must not contain full-width characters"},
		{name: "inner space", in: "Zhang San", reason: "must not contain spaces"},
		{name: "inner ideographic space", in: "李\u3000四", reason: "must not contain spaces"},
		{name: "full stop", in: "J.K", reason: chars},
		{name: "hyphen", in: "李-四", reason: chars},
		{name: "emoji", in: "李四😀", reason: chars},
		{name: "zero-width space", in: "李\u200b四", reason: chars},
		{name: "invalid UTF-8", in: "李四\xff", reason: chars},
		{name: "replacement character", in: "李四\ufffd", reason: chars},
		{name: "leading mark", in: "\u0301李四", reason: chars},
		{name: "mark after dot", in: "李·\u0301四", reason: chars},
		{name: "leading dot", in: "·李四", reason: dot},
		{name: "trailing dot", in: "李四·", reason: dot},
		{name: "two dots", in: "李··四", reason: dot},
		{name: "dot only", in: "·", reason: dot},
		{name: "mixed dots in a row", in: "李・•四", reason: dot},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PersonName(tc.in)
			if tc.reason != "" {
				if err == nil || err.Error() != tc.reason || got != "" {
					t.Fatalf("PersonName(%q) = %q, %v; want error %q", tc.in, got, err, tc.reason)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("PersonName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestCompanyName(t *testing.T) {
	const (
		length  = "must be 1 to 255 characters"
		chars   = "must not contain control or invisible characters"
		letters = "must contain letters, not only digits, punctuation or spaces"
	)
	tests := []struct{ name, in, want, reason string }{
		{name: "Chinese", in: "某某科技有限公司", want: "某某科技有限公司"},
		{name: "ASCII parentheses", in: "某某科技(深圳)有限公司", want: "某某科技（深圳）有限公司"},
		{name: "full-width parentheses kept", in: "某某科技（深圳）有限公司", want: "某某科技（深圳）有限公司"},
		{name: "English", in: "Example Trading Co., Ltd.", want: "Example Trading Co., Ltd."},
		{name: "whitespace runs", in: "  Example \t Trading\r\nCo.  ", want: "Example Trading Co."},
		{name: "ideographic spaces", in: "\u3000某某\u3000\u3000公司\u3000", want: "某某 公司"},
		{name: "digits and letters", in: "3M中国有限公司", want: "3M中国有限公司"},
		{name: "one letter", in: "A", want: "A"},
		{name: "symbols allowed", in: "A&B+C®", want: "A&B+C®"},
		{name: "255 characters", in: strings.Repeat("公", 255), want: strings.Repeat("公", 255)},
		{name: "255 after collapsing spaces", in: strings.Repeat("公", 127) + "     " + strings.Repeat("司", 127), want: strings.Repeat("公", 127) + " " + strings.Repeat("司", 127)},

		{name: "empty", in: "", reason: length},
		{name: "spaces only", in: " \u3000\t", reason: length},
		{name: "256 characters", in: strings.Repeat("公", 256), reason: length},
		{name: "very long", in: strings.Repeat("公", 100000), reason: length},
		{name: "digits only", in: "123456", reason: letters},
		{name: "punctuation only", in: "（）...", reason: letters},
		{name: "digits, punctuation and spaces", in: "12 - 34", reason: letters},
		{name: "emoji only", in: "😀", reason: letters},
		{name: "NUL", in: "某某\x00公司", reason: chars},
		{name: "zero-width space", in: "某某\u200b公司", reason: chars},
		{name: "right-to-left override", in: "某某\u202e公司", reason: chars},
		{name: "private use", in: "某某\ue000公司", reason: chars},
		{name: "invalid UTF-8", in: "某某\xff公司", reason: chars},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CompanyName(tc.in)
			if tc.reason != "" {
				if err == nil || err.Error() != tc.reason || got != "" {
					t.Fatalf("CompanyName(%q) = %q, %v; want error %q", tc.in, got, err, tc.reason)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("CompanyName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// FuzzPersonName: never panics; an accepted name is 2-30 characters of letters, marks
// after letters and U+00B7 between letters (no look-alike dots left), and is accepted
// again unchanged.
func FuzzPersonName(f *testing.F) {
	for _, s := range []string{
		"李四", "买买提·艾力", "买买提・艾力", "买买提•艾力", " 李四 ", "·李四", "李··四", "李四·",
		"Jose\u0301", "\u0301李", "李四1", "Zhang San", "", "李", "李四\xff", "王\U00020000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := PersonName(s)
		if err != nil {
			if got != "" || err.Error() == "" {
				t.Fatalf("PersonName(%q) = %q, %v: an error must come with no value and a reason", s, got, err)
			}
			return
		}
		if !utf8.ValidString(got) {
			t.Fatalf("PersonName(%q) = %q is not valid UTF-8", s, got)
		}
		r := []rune(got)
		if len(r) < 2 || len(r) > 30 {
			t.Fatalf("PersonName(%q) = %q has %d characters", s, got, len(r))
		}
		for i, c := range r {
			switch {
			case unicode.IsLetter(c):
			case unicode.In(c, unicode.Mn, unicode.Mc):
				if i == 0 || r[i-1] == middleDot {
					t.Fatalf("PersonName(%q) = %q has a mark not after a letter", s, got)
				}
			case c == middleDot:
				if i == 0 || i == len(r)-1 || r[i-1] == middleDot {
					t.Fatalf("PersonName(%q) = %q has a misplaced middle dot", s, got)
				}
			default:
				t.Fatalf("PersonName(%q) = %q contains %U", s, got, c)
			}
		}
		if again, err := PersonName(got); err != nil || again != got {
			t.Fatalf("PersonName(%q) = %q, %v; not idempotent", got, again, err)
		}
	})
}

// FuzzCompanyName: never panics; an accepted name is valid UTF-8 of 1-255 characters with
// a letter, no ASCII parentheses, no whitespace but single inner ASCII spaces, no control
// or format characters, and is accepted again unchanged.
func FuzzCompanyName(f *testing.F) {
	for _, s := range []string{
		"某某科技(深圳)有限公司", "Example Trading Co., Ltd.", "  A \t B\r\n", "\u3000某某\u3000公司",
		"123456", "（）", "某某\u200b公司", "某某\u202e公司", "某某\xff公司", "", "😀", "A",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CompanyName(s)
		if err != nil {
			if got != "" || err.Error() == "" {
				t.Fatalf("CompanyName(%q) = %q, %v: an error must come with no value and a reason", s, got, err)
			}
			return
		}
		if !utf8.ValidString(got) {
			t.Fatalf("CompanyName(%q) = %q is not valid UTF-8", s, got)
		}
		if n := utf8.RuneCountInString(got); n < 1 || n > 255 {
			t.Fatalf("CompanyName(%q) = %q has %d characters", s, got, n)
		}
		if strings.ContainsAny(got, "()") || strings.Contains(got, "  ") || strings.TrimSpace(got) != got {
			t.Fatalf("CompanyName(%q) = %q is not normalised", s, got)
		}
		letter := false
		for _, c := range got {
			if unicode.IsSpace(c) && c != ' ' || unicode.In(c, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) {
				t.Fatalf("CompanyName(%q) = %q contains %U", s, got, c)
			}
			letter = letter || unicode.IsLetter(c)
		}
		if !letter {
			t.Fatalf("CompanyName(%q) = %q has no letter", s, got)
		}
		if again, err := CompanyName(got); err != nil || again != got {
			t.Fatalf("CompanyName(%q) = %q, %v; not idempotent", got, again, err)
		}
	})
}
