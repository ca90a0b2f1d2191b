package webhook

import (
	"encoding/json"
	"fmt"
	"regexp"
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
var (
	dataKey   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	dataValue = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)
	// GB 11643 resident ID: 17 digits then a digit or X.
	residentID = regexp.MustCompile(`^[0-9]{17}[0-9Xx]$`)
	// GB 32100 unified social credit code (a company's registration number).
	creditCode = regexp.MustCompile(`^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$`)
)

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
			residentID.MatchString(seg) || creditCode.MatchString(seg) {
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
		if !dataValue.MatchString(s) || looksPersonal(s) {
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
	if dataKey.MatchString(k) {
		return fmt.Sprintf("%q", k)
	}
	return "(malformed)"
}
