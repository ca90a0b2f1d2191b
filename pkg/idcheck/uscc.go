package idcheck

import (
	"errors"
	"strings"
	"unicode/utf8"
)

var (
	errUSCCChars  = errors.New("must contain only digits and the letters A-Z except I, O, S, V and Z")
	errUSCCLength = errors.New("must be 18 characters")
	errUSCCCheck  = errors.New("check character does not match")
)

// usccAlphabet lists the GB 32100 code characters in value order: a character's index is
// its value in the check computation (I, O, S, V and Z are left out, being too easily
// confused with 1, 0, 5, U and 2).
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are the GB 32100 weights of the first 17 characters (3^i mod 31 at 0-based
// position i).
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCC validates and normalises a unified social credit code (GB 32100-2015): 18
// characters over usccAlphabet whose last is the check character 31 - (weighted sum mod
// 31), a result of 31 written 0. Surrounding whitespace is trimmed and ASCII lower-case
// letters are upper-cased (the code is case-free and people type it either way); inner
// spaces, hyphens and full-width characters are refused. The result is 18 characters
// over usccAlphabet.
//
// Only the check character is verified, not the structure inside. In particular the
// organization code embedded at positions 9-17 (GB 11714) is not checked separately: the
// outer check character already detects every single-character error and every adjacent
// transposition, and an inner rule that some issued code turns out not to satisfy would
// lock a real company out with no way to fix its input.
func USCC(s string) (string, error) {
	s = strings.TrimSpace(s)
	b := make([]byte, 0, 18)
	for _, r := range s {
		if r < utf8.RuneSelf {
			if c := upperASCII(byte(r)); strings.IndexByte(usccAlphabet, c) >= 0 {
				b = append(b, c)
				continue
			}
		}
		return "", errors.New(charReason(r, errUSCCChars.Error()))
	}
	if len(b) != 18 {
		return "", errUSCCLength
	}
	if b[17] != usccCheckChar(b[:17]) {
		return "", errUSCCCheck
	}
	return string(b), nil
}

// usccCheckChar computes the check character of 17 characters over usccAlphabet.
func usccCheckChar(code []byte) byte {
	sum := 0
	for i, c := range code[:17] {
		sum += strings.IndexByte(usccAlphabet, c) * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31]
}
