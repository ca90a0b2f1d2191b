package idcheck

import (
	"errors"
	"strings"
)

var (
	errInstChars  = errors.New("must contain only the digits 0-9")
	errInstLength = errors.New("must be 12 digits")
)

// InstitutionNumber validates the number of a public institution's legal person
// certificate (事业单位法人证书号, 事证第XXXXXXXXXXXX号), what a multi-certificate public
// institution (seed 001: organizationType 1, identificationType 0) gives as its
// organizationRegNo: 12 digits. Surrounding whitespace is trimmed; the 事证第 prefix and
// 号 suffix printed around the number on the certificate are removed, since people copy
// them with it; anything else but ASCII digits is refused. The number has no published
// check digit, so only its form is checked; a reviewer compares it with the certificate.
func InstitutionNumber(s string) (string, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "事证第")
	s = strings.TrimSuffix(s, "号")
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", errors.New(charReason(r, errInstChars.Error()))
		}
	}
	if len(s) != 12 {
		return "", errInstLength
	}
	return s, nil
}
