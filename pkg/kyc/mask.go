package kyc

import "strings"

// Masking keeps enough of a value for a reviewer to tell list entries apart and to match
// them against a call or a document, and no more: full values are shown on the audited
// detail view only (DOMAIN.md, PII). ID numbers are masked by idcheck.MaskID.

// phoneKeep* are the digits a masked phone keeps: the carrier prefix and the last four,
// as Chinese apps print a mobile (138****5678).
const (
	phoneKeepHead = 3
	phoneKeepTail = 4
)

// MaskPhone keeps the first 3 and last 4 characters of a phone number and stars the rest
// (13800005678 -> 138****5678). A value too short to keep anything back is all stars, so
// a malformed phone never shows in full.
func MaskPhone(s string) string {
	r := []rune(s)
	if len(r) <= phoneKeepHead+phoneKeepTail {
		return strings.Repeat("*", len(r))
	}
	return string(r[:phoneKeepHead]) + strings.Repeat("*", len(r)-phoneKeepHead-phoneKeepTail) + string(r[len(r)-phoneKeepTail:])
}

// MaskName keeps the first character of a person's name, and the last as well when there
// are three or more, starring the rest: 张三 -> 张*, 张小明 -> 张*明, 欧阳娜娜 -> 欧**娜. A
// one-character value is all stars. Characters are runes, so a CJK name is never cut
// inside a character.
func MaskName(s string) string {
	r := []rune(s)
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}
