// Package idchecktest makes valid identifiers for tests and benchmarks. The check
// characters are computed here straight from GB 11643 and GB 32100, independently of
// pkg/idcheck, so a test that uses them checks idcheck rather than repeating it.
package idchecktest

import "strings"

// USCCChars is the alphabet of a unified social credit code, in value order.
const USCCChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// ResidentID returns first17 (17 digits) with its GB 11643 check character.
func ResidentID(first17 string) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(first17[i]-'0') * w
	}
	return first17 + string("10X98765432"[sum%11])
}

// USCC returns first17 (over USCCChars) with its GB 32100 check character.
func USCC(first17 string) string {
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i, w := range weights {
		sum += strings.IndexByte(USCCChars, first17[i]) * w
	}
	return first17 + string(USCCChars[(31-sum%31)%31])
}

// WrongCheck replaces the last character of a valid identifier with another character of
// alphabet, making its check character wrong.
func WrongCheck(id, alphabet string) string {
	last := id[len(id)-1]
	for i := 0; i < len(alphabet); i++ {
		if alphabet[i] != last {
			return id[:len(id)-1] + string(alphabet[i])
		}
	}
	panic("idchecktest: alphabet has no other character")
}
