package kyc

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Each maps to exactly one HTTP status and API error_code in pkg/httpapi.
const (
	EMISSING      = "missing"       // a required parameter is absent (997)
	EINVALID      = "invalid"       // input is malformed (1006)
	EEXISTS       = "exists"        // the account or user already exists (1007)
	EBADCODE      = "bad_code"      // SMS code wrong or expired (1008)
	ELOGIN        = "login"         // phone or password wrong (1010)
	EUNAUTHORIZED = "unauthorized"  // no or bad token (999)
	EVERIFY       = "verify_failed" // identity verification failed (1012)
	ENOTFOUND     = "not_found"     // user, account or object not found (1015)
	EFORBIDDEN    = "forbidden"     // wrong role or not the owner (1020)
	ECONFLICT     = "conflict"      // the state does not allow this, or a concurrent writer won (1021)
	ETOOMANY      = "too_many"      // rate limited or too many attempts (1022)
	ETOOLARGE     = "too_large"     // file or body too large (1023)
	EUNSUPPORTED  = "unsupported"   // unsupported file or media type (1024)
	EPRECONDITION = "precondition"  // the account does not meet the route's preconditions (1025)
	EGONE         = "gone"          // expired or used up: a verification link, a bank verification (410 / 1026)
	EUNAVAILABLE  = "unavailable"   // an outside service (the identity provider) could not answer (503 / 1050)
	EINTERNAL     = "internal"      // anything else (1050)
)

// ReasonIdentityTaken is the Reason of the ECONFLICT of an approval whose identity another
// account holds: not a lost race, so a writer that retries lost races stops on it.
const ReasonIdentityTaken = "identity_taken"

// Error is the domain error. Code is one of the E* constants; Message is safe to show to
// the client (never internals, never PII); Field names the offending input, if any.
type Error struct {
	Code    string
	Message string
	Field   string
	Reason  string
	// FailCheckItems names every unmet precondition of an EPRECONDITION error (API.md's
	// fail_check_items), so a client learns all it must fix from one answer.
	FailCheckItems []string
	// Data is what the answer's data carries besides (ids only, never personal data),
	// e.g. the existing accountId of a 1007.
	Data map[string]string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (field %s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns a domain error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID or EMISSING error naming the field and why it was refused.
func FieldError(code, field, reason string) *Error {
	return &Error{Code: code, Message: field + ": " + reason, Field: field, Reason: reason}
}

// PreconditionError returns an EPRECONDITION error listing the unmet preconditions items.
func PreconditionError(items []string) *Error {
	return &Error{Code: EPRECONDITION, Message: "The account does not meet the preconditions: " + strings.Join(items, ", ") + ".",
		FailCheckItems: append([]string(nil), items...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err: the domain message, or
// "Internal error." for anything that is not a domain error.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// IsCode reports whether err carries the given domain code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }
