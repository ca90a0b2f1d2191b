package dynamo

import (
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// errBadCode is every refusal of a code (TryCode, and the use of a code in RegisterUser
// and ResetPassword): the client learns that the code did not work, never why (absent,
// expired, used, dead or wrong), so probing reveals nothing.
func errBadCode() error { return kyc.Errorf(kyc.EBADCODE, "SMS code wrong or expired.") }

// codeLive is the condition "this code may still be tried": it exists, is unused, has
// fewer than kyc.MaxCodeAttempts wrong tries and has not expired at :now. ExpiresAt is a
// fixed-width UTC string, so the string comparison is the time comparison.
const codeLive = "attribute_exists(PK) AND #used = :false AND #att < :max AND #exp > :now"

var codeNames = map[string]string{"#used": attrUsed, "#att": attrAttempts, "#exp": attrExpiresAt, "#hash": attrCodeHash}

func codeLiveValues(now time.Time) item {
	return item{":false": bv(false), ":max": nv(kyc.MaxCodeAttempts), ":now": tv(now)}
}

// validCode refuses a code that cannot be stored: without a phone, a purpose or a hash,
// or with a '#' in its purpose (the last '#' of a code's key splits phone and purpose).
func validCode(c kyc.SMSCode) error {
	switch {
	case c.Phone == "":
		return kyc.FieldError(kyc.EMISSING, "phone", "required")
	case c.Purpose == "":
		return kyc.FieldError(kyc.EMISSING, "purpose", "required")
	case strings.Contains(c.Purpose, "#"):
		return kyc.FieldError(kyc.EINVALID, "purpose", "must not contain '#'")
	case c.CodeHash == "":
		return kyc.FieldError(kyc.EMISSING, "code hash", "required")
	}
	return nil
}
