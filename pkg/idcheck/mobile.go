package idcheck

import (
	"errors"
	"strings"
)

// Mobile normalises a mainland mobile number: surrounding spaces are trimmed and an
// optional +86 or 0086 prefix removed; what remains must be 11 ASCII digits 1[3-9]xxxxxxxxx.
// Full-width digits and any other character are refused (checked byte by byte, never
// with a Unicode digit class).
func Mobile(s string) (string, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "+86"); ok {
		s = rest
	} else if rest, ok := strings.CutPrefix(s, "0086"); ok {
		s = rest
	}
	if len(s) != 11 {
		return "", errors.New("must be an 11-digit mainland mobile number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", errors.New("must contain only the digits 0-9")
		}
	}
	if s[0] != '1' || s[1] < '3' {
		return "", errors.New("must start with 13 to 19")
	}
	return s, nil
}
