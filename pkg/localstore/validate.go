package localstore

import (
	"github.com/realname-kyc/realname/pkg/kyc"
)

// The service validates input before it reaches the store; these checks only keep a
// programming mistake from writing a record that the indexes cannot hold or find.

func checkKeyPart(field, v string) error {
	if v == "" {
		return kyc.FieldError(kyc.EMISSING, field, "required")
	}
	if len(v) > maxKeyPart {
		return kyc.FieldError(kyc.EINVALID, field, "too long")
	}
	return nil
}

func checkType(t kyc.AccountType) error {
	switch t {
	case kyc.PersonalAccount, kyc.CompanyAccount:
		return nil
	}
	return kyc.FieldError(kyc.EINVALID, "type", "unknown account type")
}

func checkState(s kyc.State) error {
	switch s {
	case kyc.StateUnverified, kyc.StateSubmitted, kyc.StatePendingReview, kyc.StateApproved, kyc.StateRejected:
		return nil
	}
	return kyc.FieldError(kyc.EINVALID, "state", "unknown state")
}

func checkAccount(a kyc.Account) error {
	if err := checkKeyPart("account id", a.ID); err != nil {
		return err
	}
	if err := checkType(a.Type); err != nil {
		return err
	}
	return checkState(a.State)
}

// clampLimit applies the page limits of the kyc.Store contract.
func clampLimit(limit int) int {
	switch {
	case limit < 1:
		return DefaultPageLimit
	case limit > MaxPageLimit:
		return MaxPageLimit
	}
	return limit
}
