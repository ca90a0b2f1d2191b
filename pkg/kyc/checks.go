package kyc

import (
	"fmt"
	"unicode/utf8"
)

// MaxQueueBodyBytes is SQS's largest message body (1 MiB).
const MaxQueueBodyBytes = 1 << 20

// CheckQueueBody applies SQS's rules for message bodies. Both queue adapters call it, so
// local mode refuses what AWS would, before any round trip.
func CheckQueueBody(body string) error {
	if body == "" {
		return FieldError(EINVALID, "body", "must not be empty")
	}
	if len(body) > MaxQueueBodyBytes {
		return Errorf(ETOOLARGE, "message body is larger than %d bytes", MaxQueueBodyBytes)
	}
	if !utf8.ValidString(body) {
		return FieldError(EINVALID, "body", "must be UTF-8")
	}
	for _, r := range body {
		if !sqsChar(r) {
			return FieldError(EINVALID, "body", fmt.Sprintf("character %U is not allowed in a queue message", r))
		}
	}
	return nil
}

// sqsChar reports whether SQS accepts r in a message body: #x9 | #xA | #xD |
// #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
func sqsChar(r rune) bool {
	switch {
	case r == 0x9, r == 0xA, r == 0xD:
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// CheckSMS is what every SMSSender checks before sending: a normalised 11-digit mainland
// number, a known purpose and a 4-10 digit code (none for the registered notice). Errors
// name the field, never the value.
func CheckSMS(phone, purpose, code string) error {
	if len(phone) != 11 || phone[0] != '1' || !allDigits(phone) {
		return FieldError(EINVALID, "phone", "must be an 11-digit mainland China mobile number")
	}
	if purpose == PurposeRegisteredNotice {
		if code != "" {
			return FieldError(EINVALID, "code", "a notice carries no code")
		}
		return nil
	}
	if purpose != PurposeRegister && purpose != PurposeResetPassword && purpose != PurposeVerify {
		return FieldError(EINVALID, "purpose", "must be register, reset_password or verify")
	}
	if len(code) < 4 || len(code) > 10 || !allDigits(code) {
		return FieldError(EINVALID, "code", "must be 4 to 10 digits")
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
