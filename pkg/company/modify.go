package company

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Reapply modes (authStatus, seed 001).
const (
	// AuthRejected re-applies after a rejection: a new submission, reviewed again.
	AuthRejected = 0
	// AuthApproved modifies an approved company at once.
	AuthApproved = 1
)

const reasonLocked = "cannot change once the company is approved"

// ParseAuthStatus reads the reapply request's authStatus: "0" or "1", 0 when absent
// (seed 001's default).
func ParseAuthStatus(s string) (int, error) {
	switch strings.TrimSpace(s) {
	case "", "0":
		return AuthRejected, nil
	case "1":
		return AuthApproved, nil
	}
	return 0, kyc.FieldError(kyc.EINVALID, FieldAuthStatus, reasonType)
}

// lockedFields returns the fields a reapply of mode authStatus may not change: the email
// always, the registration number too on an approved company, whose identity it is (the
// claim made at approval).
func lockedFields(authStatus int) []string {
	if authStatus == AuthApproved {
		return []string{FieldEmail, FieldRegNo}
	}
	return []string{FieldEmail}
}

// Modify applies a reapply request (seed 001, API.md) to the current profile of a company
// in state. in holds the request's form fields as ParseProfile reads them; a field left
// out keeps its current value, a field sent empty is cleared (and refused if required).
//
//   - authStatus 1 (AuthApproved) needs an APPROVED company; the modification is final at
//     once. emailOrMobile and organizationRegNo may be sent only with their current value.
//   - authStatus 0 (AuthRejected) needs a REJECTED company; the result is a new submission
//     (the caller submits it with kyc.Submit, which also refuses a FINAL rejection and too
//     many attempts). emailOrMobile may be sent only with its current value.
//   - Any other state or mode: ECONFLICT (1021) saying why.
//
// next is the merged, validated profile with Version current.Version+1; changed lists the
// changed field names, sorted, for the audit record (names, never values). A modification
// that changes nothing returns current itself and no names: the caller writes nothing, so a
// retried request is harmless. A re-application is always a new version: it asks for a new
// review even with the same fields.
//
// Errors: ECONFLICT for the state; EINVALID naming a locked field sent with another
// value; otherwise ParseProfile's.
func Modify(current Profile, state kyc.State, in map[string]string, authStatus int, now time.Time) (next Profile, changed []string, err error) {
	if err := mayModify(state, authStatus); err != nil {
		return Profile{}, nil, err
	}
	merged := current.Fields()
	for name, v := range in {
		merged[name] = v
	}
	next, err = ParseProfile(merged, now)
	if err != nil {
		return Profile{}, nil, lockedHint(err, in, authStatus)
	}
	changed = diff(current, next)
	for _, name := range lockedFields(authStatus) {
		if slices.Contains(changed, name) {
			return Profile{}, nil, kyc.FieldError(kyc.EINVALID, name, reasonLocked)
		}
	}
	if len(changed) == 0 && authStatus == AuthApproved {
		return current, nil, nil
	}
	next.Version = current.Version + 1
	return next, changed, nil
}

// mayModify says why a company in state cannot be modified with authStatus.
func mayModify(state kyc.State, authStatus int) error {
	switch authStatus {
	case AuthApproved:
		if state != kyc.StateApproved {
			return kyc.Errorf(kyc.ECONFLICT, "authStatus=1 modifies an approved company; this company is %s (re-apply with authStatus=0 after a rejection)", state)
		}
	case AuthRejected:
		if state != kyc.StateRejected {
			return kyc.Errorf(kyc.ECONFLICT, "authStatus=0 re-applies after a rejection; this company is %s%s", state, hintFor(state))
		}
	default:
		return kyc.FieldError(kyc.EINVALID, FieldAuthStatus, reasonType)
	}
	return nil
}

func hintFor(state kyc.State) string {
	switch state {
	case kyc.StateApproved:
		return " (modify it with authStatus=1)"
	case kyc.StateSubmitted, kyc.StatePendingReview:
		return " (already under review)"
	}
	return ""
}

// lockedHint explains a refused registration number that the request did not send: on an
// approved company it cannot change, so a change of identificationType or
// organizationType that no longer fits it is the mistake, and the user must be told so.
func lockedHint(err error, in map[string]string, authStatus int) error {
	var e *kyc.Error
	if !errors.As(err, &e) || authStatus != AuthApproved || e.Field != FieldRegNo {
		return err
	}
	if _, sent := in[FieldRegNo]; sent {
		return err
	}
	return kyc.FieldError(kyc.EINVALID, FieldRegNo, e.Reason+"; it "+reasonLocked+", so identificationType and organizationType must still fit it")
}
