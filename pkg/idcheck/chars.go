package idcheck

import "unicode"

// Reasons shared by every identifier: the two mistakes that a generic "only digits"
// message would leave the user puzzled by, because on screen the input looks right.
const (
	reasonSpaces    = "must not contain spaces"
	reasonFullWidth = "must not contain full-width characters"
)

// charReason explains why r cannot appear in an identifier. Inner spaces and full-width
// forms (what a Chinese input method produces in full-width mode) get their own reason;
// anything else gets the identifier's generic one.
func charReason(r rune, generic string) string {
	switch {
	case unicode.IsSpace(r):
		return reasonSpaces
	case r >= 0xFF01 && r <= 0xFF5E: // full-width forms of ASCII '!' to '~'
		return reasonFullWidth
	}
	return generic
}

// upperASCII upper-cases one byte of ASCII only. strings.ToUpper is not used because it
// maps some non-ASCII letters onto ASCII ones (U+0131 dotless i becomes I, U+017F long s
// becomes S), which would let look-alike characters slip into an identifier.
func upperASCII(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
