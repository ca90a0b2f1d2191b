package idcheck

import (
	"errors"
	"strings"
	"time"
)

// Reasons ResidentID gives. Each is safe to show the user and names the one thing to fix.
var (
	errIDChars    = errors.New("must contain only digits and a final X")
	errIDLegacy   = errors.New("15-digit numbers are no longer accepted")
	errIDLength   = errors.New("must be 18 characters")
	errIDProvince = errors.New("unknown province code")
	errIDDate     = errors.New("birth date is not a real date")
	errIDFuture   = errors.New("birth date is in the future")
	errIDCheck    = errors.New("check digit does not match")
)

// residentIDWeights are the GB 11643 weights of the first 17 digits (2^(17-i) mod 11 at
// 0-based position i).
var residentIDWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// residentIDCheck maps the weighted sum mod 11 to the check character (ISO 7064 MOD 11-2).
const residentIDCheck = "10X98765432"

// chinaTime is China Standard Time. Birth dates are calendar dates in China, so "not in
// the future" is judged by the date in Beijing, not in UTC: between 00:00 and 08:00
// Beijing time a baby born today must already be accepted. A fixed zone is exact (China
// has kept UTC+8 without daylight saving since 1991) and needs no tzdata in the Lambda.
var chinaTime = time.FixedZone("UTC+8", 8*60*60)

// ResidentID validates and normalises an 18-character resident ID number (GB 11643-1999)
// as of the current time. See ResidentIDAt for the rules.
func ResidentID(s string) (string, error) {
	return ResidentIDAt(s, time.Now())
}

// ResidentIDAt validates and normalises a resident ID number, judging "birth date in the
// future" against now (a parameter so that tests and re-checks are deterministic).
//
// Surrounding whitespace is trimmed and a final lower-case x becomes X, because both come
// from copying and typing, not from a wrong number. Everything else must already be right:
// 17 ASCII digits and a digit or X; inner spaces and full-width digits are refused rather
// than repaired, so that what is stored is exactly what the user confirmed.
//
// The checks, in the order their reasons are reported (the most specific first, since a
// typo in the date also breaks the check digit):
//   - 15-digit legacy numbers are refused: they have a two-digit year and no check digit,
//     and the first-generation cards that carried them stopped being valid in 2013.
//   - The length is 18.
//   - The province code (the first two digits) is one GB/T 2260 assigns. The full
//     six-digit county code is deliberately not checked: abolished and renamed counties
//     stay in the numbers of everyone born there, so any list would refuse real people.
//   - The birth date (digits 7-14, YYYYMMDD) is a real calendar date and not after today
//     in China. There is no lower year bound: the standard's own sample was born in 1880,
//     and a plausible-age rule is a business decision, not a validity rule.
//   - The check character is right (ISO 7064 MOD 11-2: weights 7 9 10 5 8 4 2 1 6 3 7 9
//     10 5 8 4 2, and the weighted sum mod 11, 0 to 10, selects 1 0 X 9 8 7 6 5 4 3 2).
//
// The returned value is 18 ASCII characters, the last a digit or X.
func ResidentIDAt(s string, now time.Time) (string, error) {
	s = strings.TrimSpace(s)
	for i, r := range s {
		if r >= '0' && r <= '9' {
			continue
		}
		if (r == 'X' || r == 'x') && i == len(s)-1 {
			continue
		}
		return "", errors.New(charReason(r, errIDChars.Error()))
	}
	// Every byte is now ASCII, so len counts characters.
	last := len(s) - 1
	if len(s) == 15 && isDigit(s[last]) {
		return "", errIDLegacy
	}
	if len(s) != 18 {
		return "", errIDLength
	}
	if s[last] == 'x' {
		s = s[:last] + "X"
	}
	if !knownProvince(s[:2]) {
		return "", errIDProvince
	}
	birth, ok := parseBirthDate(s[6:14])
	if !ok {
		return "", errIDDate
	}
	t := now.In(chinaTime)
	if birth.After(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)) {
		return "", errIDFuture
	}
	if s[last] != residentIDCheckChar(s[:17]) {
		return "", errIDCheck
	}
	return s, nil
}

// BirthDate validates id with ResidentID and returns the birth date it encodes, as
// midnight UTC of that calendar day (a date, not an instant: compare it with other
// dates built the same way, never convert it to another zone).
func BirthDate(id string) (time.Time, error) {
	id, err := ResidentID(id)
	if err != nil {
		return time.Time{}, err
	}
	birth, _ := parseBirthDate(id[6:14])
	return birth, nil
}

// residentIDCheckChar computes the check character of 17 ASCII digits.
func residentIDCheckChar(digits string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(digits[i]-'0') * residentIDWeights[i]
	}
	return residentIDCheck[sum%11]
}

// knownProvince reports whether the two ASCII digits are a province-level code of
// GB/T 2260 as used in ID numbers: the mainland provinces, regions and municipalities,
// Taiwan (71), Hong Kong (81), Macao (82) and 83, which the residence permits for
// Taiwan residents use.
func knownProvince(p string) bool {
	n := int(p[0]-'0')*10 + int(p[1]-'0')
	switch {
	case n >= 11 && n <= 15, n >= 21 && n <= 23, n >= 31 && n <= 37, n >= 41 && n <= 46,
		n >= 50 && n <= 54, n >= 61 && n <= 65, n == 71, n == 81, n == 82, n == 83:
		return true
	}
	return false
}

// parseBirthDate reads 8 ASCII digits as YYYYMMDD and reports whether they are a real
// Gregorian calendar date (so 0229 only in leap years, never 0230 or 0431).
func parseBirthDate(ymd string) (time.Time, bool) {
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	y, m, d := num(ymd[:4]), num(ymd[4:6]), num(ymd[6:8])
	if m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // time.Date normalised an overflowing day into the next month
		return time.Time{}, false
	}
	return t, true
}
