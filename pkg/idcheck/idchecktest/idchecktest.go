// Package idchecktest makes valid identifiers for tests and benchmarks. The check
// characters and the GB 32100 code table are written here straight from GB 11643 and GB
// 32100, independently of pkg/idcheck, so a test that uses them checks idcheck rather
// than repeating it.
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

// USCCTypes maps each GB 32100 registration authority code (a code's 1st character) to
// the organization type codes (2nd character) it assigns: the standard's table, with the
// authorities A and N added later. Written here apart from pkg/idcheck's copy, so tests
// can check the validator against it.
var USCCTypes = map[byte]string{
	'1': "1239",   // 机构编制
	'2': "19",     // 外交
	'3': "123459", // 司法行政
	'4': "19",     // 文化
	'5': "1239",   // 民政
	'6': "129",    // 旅游
	'7': "129",    // 宗教
	'8': "19",     // 工会
	'9': "123",    // 工商
	'A': "19",     // 中央军委改革和编制办公室
	'N': "1239",   // 农业
	'Y': "1",      // 其他
}

// USCCStructureOK reports whether the first 8 characters of code have the structure of
// GB 32100: an authority and type pair of USCCTypes, then 6 digits (the administrative
// division code).
func USCCStructureOK(code string) bool {
	if len(code) < 8 {
		return false
	}
	types, ok := USCCTypes[code[0]]
	if !ok || !strings.Contains(types, code[1:2]) {
		return false
	}
	for i := 2; i < 8; i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// USCC returns first17 (over USCCChars) with its GB 32100 check character. first17 must
// have the structure of a real code (USCCStructureOK), so that every code made here is one
// a validator accepts; USCC panics otherwise. Use USCCAnyStructure for a code with a right
// check character and a wrong structure.
func USCC(first17 string) string {
	if !USCCStructureOK(first17) {
		panic("idchecktest: " + first17 + " does not start with a GB 32100 authority and type pair and 6 digits")
	}
	return USCCAnyStructure(first17)
}

// USCCAnyStructure returns first17 (over USCCChars) with its GB 32100 check character,
// whatever its first 8 characters are: for tests of codes refused for their structure.
func USCCAnyStructure(first17 string) string {
	if len(first17) != 17 {
		panic("idchecktest: a USCC body is 17 characters, not " + first17)
	}
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i, w := range weights {
		v := strings.IndexByte(USCCChars, first17[i])
		if v < 0 {
			panic("idchecktest: " + first17 + " has a character outside USCCChars")
		}
		sum += v * w
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
