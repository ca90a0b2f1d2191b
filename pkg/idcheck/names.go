package idcheck

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	errPersonChars  = errors.New("must contain only letters and the middle dot ·")
	errPersonDot    = errors.New("the middle dot · must stand between two names")
	errPersonLength = errors.New("must be 2 to 30 characters")

	errCompanyLength  = errors.New("must be 1 to 255 characters")
	errCompanyChars   = errors.New("must not contain control or invisible characters")
	errCompanyLetters = errors.New("must contain letters, not only digits, punctuation or spaces")
)

const (
	// middleDot is the separator of transcribed names on ID cards (买买提·艾力).
	middleDot = '\u00B7'

	personNameMin = 2
	personNameMax = 30
	// personNameMaxBytes bounds the input before any work: a rune is at most 4 bytes
	// (and an invalid byte counts as one character), so a longer input cannot fit.
	personNameMaxBytes = personNameMax * utf8.UTFMax

	companyNameMax = 255
)

// middleDotVariant reports whether r is one of the characters input methods and fonts
// produce where U+00B7 is meant: the katakana middle dot ・ (U+30FB, Japanese IMEs and
// many Chinese fonts' "·" key), its half-width form (U+FF65), the bullet • (U+2022), the
// hyphenation point ‧ (U+2027, the Big5 interpunct used in Taiwan and Hong Kong), the
// bullet operator (U+2219) and the dot operator (U+22C5). They all look alike, so users
// cannot see which one they typed; PersonName stores U+00B7 whichever was used, so that
// the same name is always the same string (duplicate checks, comparison with the card).
// An ASCII full stop is not a variant: "J.K." is an abbreviation, not a name on a card.
func middleDotVariant(r rune) bool {
	switch r {
	case middleDot, '\u30FB', '\uFF65', '\u2022', '\u2027', '\u2219', '\u22C5':
		return true
	}
	return false
}

// PersonName validates and normalises a person's name as written on a resident ID card:
// 2 to 30 characters, each a letter of any script (Han characters included, and those
// outside the Basic Multilingual Plane that rare names use) or a combining mark following
// one (scripts such as Tibetan or Devanagari need them), with the middle dot · between
// parts of a transcribed name. Surrounding whitespace is trimmed and middle-dot
// look-alikes become U+00B7 (see middleDotVariant). Digits, other punctuation and inner
// spaces are refused: ID cards carry none of them, and the name must match the card.
// Characters are counted as Unicode code points.
func PersonName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > personNameMaxBytes {
		return "", errPersonLength
	}
	var b strings.Builder
	b.Grow(len(s))
	n := 0
	afterLetter := false // the previous character was a letter or a mark on one
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			afterLetter = true
		case unicode.In(r, unicode.Mn, unicode.Mc):
			if !afterLetter {
				return "", errPersonChars
			}
		case middleDotVariant(r):
			if !afterLetter {
				return "", errPersonDot
			}
			r, afterLetter = middleDot, false
		default:
			return "", errors.New(charReason(r, errPersonChars.Error()))
		}
		b.WriteRune(r)
		n++
	}
	if n > 0 && !afterLetter {
		return "", errPersonDot
	}
	if n < personNameMin || n > personNameMax {
		return "", errPersonLength
	}
	return b.String(), nil
}

// CompanyName validates and normalises a company name as registered: 1 to 255 characters
// after normalisation, at least one of them a letter (of any script), so that a name of
// only digits, punctuation or spaces is refused.
//
// Normalisation, so that the stored name compares equal to the licence's:
//   - surrounding whitespace is trimmed and each inner run of whitespace (including the
//     ideographic space U+3000, tabs and line breaks pasted from documents) becomes one
//     ASCII space;
//   - ASCII parentheses become the full-width （ ） that Chinese registered names use.
//
// Control and format characters (zero-width spaces, bidirectional overrides that make
// text display differently from what it is), private-use, unassigned and invalid UTF-8
// are refused: a reviewer must see exactly what is stored.
func CompanyName(s string) (string, error) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	n := 0
	space, letter := false, false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case r == '(':
			r = '（'
		case r == ')':
			r = '）'
		case r == utf8.RuneError:
			return "", errCompanyChars
		case unicode.IsLetter(r):
			letter = true
		case unicode.In(r, unicode.M, unicode.N, unicode.P, unicode.S):
		default: // control, format, private use, surrogate or unassigned
			return "", errCompanyChars
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
		if n > companyNameMax {
			return "", errCompanyLength
		}
	}
	if n == 0 {
		return "", errCompanyLength
	}
	if !letter {
		return "", errCompanyLetters
	}
	return b.String(), nil
}
