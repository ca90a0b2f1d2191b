package idcheck

import "strings"

// maskMinVisible is the shortest value MaskID shows any part of. Keeping 4+4 characters
// of anything shorter would hide fewer than 4, which is no mask at all.
const maskMinVisible = 12

// MaskID masks an identifier for lists and search results (DOMAIN.md, PII): the first 4
// and last 4 characters stay, every character between becomes '*', so a reviewer can tell
// similar entries apart without the list disclosing the number. Values shorter than 12
// characters are masked entirely. Characters are counted as runes, so a malformed value
// containing multi-byte characters is never cut inside a character; the input is not
// validated or normalised (mask what is stored).
func MaskID(s string) string {
	r := []rune(s)
	if len(r) < maskMinVisible {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-4:])
}
