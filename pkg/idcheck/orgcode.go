package idcheck

import (
	"errors"
	"strings"
)

var (
	errOrgChars  = errors.New("must contain only digits and the letters A-Z, with an optional hyphen before the check character")
	errOrgLength = errors.New("must be 9 characters: 8 and a check character")
	errOrgCheck  = errors.New("check character does not match")
)

// orgCodeWeights are the GB 11714 weights of the 8 body characters (2^(8-i) mod 11 at
// 0-based position i).
var orgCodeWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// OrganizationCode validates and normalises an organization code (GB 11714-1997): 8 body
// characters (digits or letters, a letter worth 10 for A up to 35 for Z) and a check
// character 11 - (weighted sum mod 11), 10 written X and 11 written 0.
//
// The certificate prints the code as XXXXXXXX-C; people type it with or without that
// hyphen, so both are accepted, and the result is always the 9 characters without it
// (one stored form, so equal codes compare equal; add the hyphen back for display).
// Surrounding whitespace is trimmed and ASCII lower-case letters are upper-cased; a
// hyphen anywhere else, inner spaces and full-width characters are refused.
func OrganizationCode(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 8 && s[8] == '-' {
		s = s[:8] + s[9:]
	}
	b := make([]byte, 0, 9)
	for _, r := range s {
		c := byte(0)
		if r < 0x80 {
			c = upperASCII(byte(r))
		}
		if !isDigit(c) && (c < 'A' || c > 'Z') {
			return "", errors.New(charReason(r, errOrgChars.Error()))
		}
		b = append(b, c)
	}
	if len(b) != 9 {
		return "", errOrgLength
	}
	if b[8] != orgCodeCheckChar(b[:8]) {
		return "", errOrgCheck
	}
	return string(b), nil
}

// orgCodeCheckChar computes the check character of 8 digits or upper-case ASCII letters.
func orgCodeCheckChar(body []byte) byte {
	sum := 0
	for i, c := range body[:8] {
		v := int(c - '0')
		if c >= 'A' {
			v = int(c-'A') + 10
		}
		sum += v * orgCodeWeights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + c)
	}
}
