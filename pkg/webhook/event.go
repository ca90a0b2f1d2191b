package webhook

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Event types (API.md, Webhooks). Endpoints subscribe to a subset of these.
const (
	AccountSubmitted          = "account.submitted"
	AccountApproved           = "account.approved"
	AccountRejected           = "account.rejected"
	AccountModified           = "account.modified"
	VerificationCompleted     = "verification.completed"
	BankVerificationCompleted = "bank_verification.completed"
	CertificateIssued         = "certificate.issued"
	CertificateRevoked        = "certificate.revoked"
)

// EventTypes lists every event type, in API.md's order.
func EventTypes() []string {
	return []string{AccountSubmitted, AccountApproved, AccountRejected, AccountModified,
		VerificationCompleted, BankVerificationCompleted, CertificateIssued, CertificateRevoked}
}

// IsEventType reports whether t is one of EventTypes.
func IsEventType(t string) bool {
	for _, known := range EventTypes() {
		if t == known {
			return true
		}
	}
	return false
}

// Event is a webhook body: {type, timestamp, data}. Timestamp is when the state changed,
// not when it is delivered, so it stays the same on every retry and replay.
type Event struct {
	Type      string
	Timestamp time.Time
	Data      map[string]any
}

type eventJSON struct {
	Type      string         `json:"type"`
	Timestamp string         `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// MarshalJSON writes {type, timestamp (RFC 3339, UTC), data} after CheckNoPII, so no code
// path can turn personal data into a webhook body.
func (e Event) MarshalJSON() ([]byte, error) {
	if !IsEventType(e.Type) {
		return nil, kyc.FieldError(kyc.EINVALID, "type", "is not a known event type")
	}
	if e.Timestamp.IsZero() {
		return nil, kyc.FieldError(kyc.EMISSING, "timestamp", "is required")
	}
	if err := CheckNoPII(e.Data); err != nil {
		return nil, err
	}
	data := e.Data
	if data == nil {
		data = map[string]any{}
	}
	body, err := json.Marshal(eventJSON{Type: e.Type, Timestamp: e.Timestamp.UTC().Format(time.RFC3339Nano), Data: data})
	if err != nil {
		return nil, fmt.Errorf("marshal webhook event: %w", err)
	}
	return body, nil
}

// Events carry ids and states only (API.md). The guard is an allow-list, not a list of
// forbidden things: a key must be one of allowedKey's, and a value must be a short token
// of letters, digits and "_.:-". That shape has no room for a name (spaces, non-ASCII),
// an email ("@"), an E.164 phone ("+"), a reason written by a reviewer, or document
// bytes; the digit patterns below catch the personal data a token could still spell.
//
// The shapes are plain loops, not regular expressions: every function links this package
// (through the store's outbox), and compiling four patterns in its init cost each cold
// start about 0.45 ms and 188 KB (GODEBUG=inittrace=1).

// isDataKey reports whether k is ^[a-z][a-z0-9_]{0,63}$.
func isDataKey(k string) bool {
	if len(k) == 0 || len(k) > 64 || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	return allBytes(k, func(c byte) bool { return c >= 'a' && c <= 'z' || isDigit(c) || c == '_' })
}

// isDataValue reports whether v is ^[A-Za-z0-9_.:-]{1,128}$.
func isDataValue(v string) bool {
	return len(v) >= 1 && len(v) <= 128 && allBytes(v, func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '.' || c == ':' || c == '-'
	})
}

// isResidentID reports whether s has the shape of a GB 11643 resident ID: 17 digits then
// a digit or X.
func isResidentID(s string) bool {
	if len(s) != 18 {
		return false
	}
	last := s[17]
	return allBytes(s[:17], isDigit) && (isDigit(last) || last == 'X' || last == 'x')
}

// isCreditCode reports whether s has the shape of a GB 32100 unified social credit code
// (a company's registration number): 2 code characters, 6 digits, 10 code characters.
func isCreditCode(s string) bool {
	return len(s) == 18 && allBytes(s[:2], isCodeChar) && allBytes(s[2:8], isDigit) && allBytes(s[8:], isCodeChar)
}

// isCodeChar is GB 32100's alphabet: digits and capitals but I, O, S, V and Z.
func isCodeChar(c byte) bool {
	return isDigit(c) || c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'S' && c != 'V' && c != 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// minPhoneDigits: an all-digit segment this long is a phone or ID number. The rule is on
// whole segments (between "_.:-"), not on runs inside one: our 26-character base32 ids
// hold a run of 7 digits about once in 200, but are never all digits in practice.
const minPhoneDigits = 7

// looksPersonal reports whether a segment of a token spells a phone, ID or registration
// number.
func looksPersonal(token string) bool {
	segments := strings.FieldsFunc(token, func(r rune) bool { return r == '_' || r == '.' || r == ':' || r == '-' })
	for _, seg := range segments {
		if len(seg) >= minPhoneDigits && strings.Trim(seg, "0123456789") == "" ||
			isResidentID(seg) || isCreditCode(seg) {
			return true
		}
	}
	return false
}

// CheckNoPII refuses event data that could hold personal data: keys not in the allow-list
// (allowedKey), values other than short tokens, nested values, and tokens shaped like
// phone, ID or registration numbers. Errors name the key, never the value.
func CheckNoPII(data map[string]any) error {
	for k, v := range data {
		if !allowedKey(k) {
			return kyc.FieldError(kyc.EINVALID, "data", "key "+safeKey(k)+" is not an id or a state")
		}
		s, ok := v.(string)
		if !ok {
			return kyc.FieldError(kyc.EINVALID, "data."+k, "must be a string id or state")
		}
		if !isDataValue(s) || looksPersonal(s) {
			return kyc.FieldError(kyc.EINVALID, "data."+k, "must be an id or a state, not personal data")
		}
	}
	return nil
}

// allowedKey is the list of fields an event may carry. It names each one rather than a
// pattern such as "*_id", which would admit the ID-card document fields (front_of_id).
// Add a key here, with the event that needs it, never a looser value shape.
func allowedKey(k string) bool {
	switch k {
	case "id", "account_id", "user_id", "app_id", "submission_id", "verification_id",
		"bank_verification_id", "certificate_id", "endpoint_id",
		"state", "previous_state", "status", "result", "account_type",
		"kind", "by", "reject_type":
		return true
	}
	return false
}

// safeKey quotes a refused key only when it is a plain identifier: a key is chosen by our
// code, but a malformed one could be data pasted in the wrong place.
func safeKey(k string) string {
	if isDataKey(k) {
		return fmt.Sprintf("%q", k)
	}
	return "(malformed)"
}
