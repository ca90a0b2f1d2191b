package idcheck

import (
	"errors"
	"strings"
)

var (
	errRegChars  = errors.New("must contain only the digits 0-9")
	errRegLength = errors.New("must be 15 digits")
	errRegCheck  = errors.New("check digit does not match")
)

// RegistrationNumber validates a 15-digit business registration number (GS 15-2006), the
// number a multi-certificate company's licence carried before unified social credit
// codes: 14 digits and an ISO 7064 MOD 11,10 check digit. Surrounding whitespace is
// trimmed; anything but ASCII digits is refused. The result is the 15 digits.
func RegistrationNumber(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", errors.New(charReason(r, errRegChars.Error()))
		}
	}
	if len(s) != 15 {
		return "", errRegLength
	}
	if s[14] != mod1110CheckDigit(s[:14]) {
		return "", errRegCheck
	}
	return s, nil
}

// mod1110CheckDigit computes the ISO 7064 MOD 11,10 (hybrid system) check digit of ASCII
// digits: starting from p = 10, each digit d gives s = (p + d) mod 10, 0 read as 10, and
// p = 2s mod 11; the check digit is the c that makes (p + c) mod 10 equal 1.
func mod1110CheckDigit(digits string) byte {
	p := 10
	for i := 0; i < len(digits); i++ {
		s := (p + int(digits[i]-'0')) % 10
		if s == 0 {
			s = 10
		}
		p = s * 2 % 11
	}
	return byte('0' + (11-p)%10)
}
