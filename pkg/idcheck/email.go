package idcheck

import (
	"errors"
	"strings"
)

var (
	errEmailForm   = errors.New("must be an email address such as name@example.com")
	errEmailLength = errors.New("must be at most 254 characters, 64 before the @")
	errEmailLocal  = errors.New("the part before the @ may contain only letters, digits and !#$%&'*+/=?^_`{|}~.- with no leading, trailing or double dot")
	errEmailDomain = errors.New("the part after the @ must be a domain name such as example.com (letters, digits and hyphens, labels separated by dots)")
)

const (
	emailMax      = 254 // RFC 5321 path limit less the angle brackets
	emailLocalMax = 64
	domainLabel   = 63
	emailSpecials = "!#$%&'*+/=?^_`{|}~-"
)

// Email validates and normalises an email address as companies give it on a form (the
// company's `emailOrMobile`, seed 001): local@domain in the RFC 5321 dot-atom form,
// ASCII only. Surrounding whitespace is trimmed and the domain is lower-cased (domains
// are case-free, so one company's address compares equal however it was typed); the local
// part keeps its case, which its mail server may rely on.
//
// Refused on purpose, although RFC 5322 allows them: quoted local parts, comments,
// display names ("Name <a@b>"), address literals ([192.0.2.1]) and internationalised
// addresses. Mail to them is rare, and each is a way to make one address look like another
// to a reviewer; a domain in Chinese characters can be given in its xn-- form.
func Email(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > emailMax {
		return "", errEmailLength
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return "", errEmailForm
	}
	if len(local) > emailLocalMax {
		return "", errEmailLength
	}
	if err := emailLocalOK(local); err != nil {
		return "", err
	}
	domain, err := emailDomain(domain)
	if err != nil {
		return "", err
	}
	return local + "@" + domain, nil
}

// emailLocalOK checks a dot-atom local part.
func emailLocalOK(local string) error {
	for _, atom := range strings.Split(local, ".") {
		if atom == "" {
			return errEmailLocal
		}
		for _, r := range atom {
			if r < 0x80 && (isAlnum(byte(r)) || strings.ContainsRune(emailSpecials, r)) {
				continue
			}
			return errors.New(charReason(r, errEmailLocal.Error()))
		}
	}
	return nil
}

// emailDomain checks and lower-cases a host name of at least two labels whose last label
// (the top-level domain) is not all digits, so that an IP address is not taken for one.
func emailDomain(domain string) (string, error) {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return "", errEmailDomain
	}
	b := make([]byte, 0, len(domain))
	for i, label := range labels {
		if label == "" || len(label) > domainLabel || label[0] == '-' || label[len(label)-1] == '-' {
			return "", errEmailDomain
		}
		if i > 0 {
			b = append(b, '.')
		}
		for _, r := range label {
			if r >= 0x80 || (!isAlnum(byte(r)) && r != '-') {
				return "", errors.New(charReason(r, errEmailDomain.Error()))
			}
			b = append(b, lowerASCII(byte(r)))
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", errEmailDomain
	}
	return string(b), nil
}

func isAlnum(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') }

// lowerASCII lower-cases one byte of ASCII only (see upperASCII for why not strings).
func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
