package kyc

import (
	"maps"
	"strings"
	"time"
)

// ActionModify is the audit action of an approved company's immediate modification
// (seed 001, authStatus=1). Its record's Reason names the changed fields, never their
// values. The webhooks emit account.modified for transitions with this action.
const ActionModify = "modify"

// Modification is what an immediate modification changes on the account: the company's
// name and address as the new profile has them, and the documents replaced (by slot).
type Modification struct {
	Organization string
	Address      string
	Documents    map[string]Document
	// Removed are the slots of optional documents the modification clears.
	Removed []string
	// Changed are the profile fields that changed, for the audit record.
	Changed []string
}

// Modify changes the APPROVED company account a at once: the account stays APPROVED
// with the same identity (its registration number is locked), its name, address and
// replaced documents become m's, audited with the changed field names. ECONFLICT if a
// is not an APPROVED company, EINVALID if nothing changed (the caller writes nothing then).
func Modify(a Account, m Modification, by Actor, at time.Time) (Transition, error) {
	if a.State != StateApproved || a.Type != CompanyAccount {
		return Transition{}, Errorf(ECONFLICT, "only an approved company is modified at once; this account is a %s %s", a.State, a.Type)
	}
	if len(m.Changed) == 0 {
		return Transition{}, Errorf(EINVALID, "nothing to modify")
	}
	next := a
	next.Organization = m.Organization
	if m.Address != "" {
		next.Address = m.Address
	}
	next.Documents = maps.Clone(a.Documents)
	if next.Documents == nil {
		next.Documents = map[string]Document{}
	}
	maps.Copy(next.Documents, m.Documents)
	for _, slot := range m.Removed {
		delete(next.Documents, slot)
	}
	// A seal the platform drew carries the company's name: a new name needs a new seal.
	// Dropped from the account (its object stays, as every earlier document does), it is
	// drawn again by the seal function, which the same write asks for.
	if seal, ok := next.Documents[SlotSeal]; ok && seal.Generated && next.Organization != a.Organization {
		delete(next.Documents, SlotSeal)
	}
	next.UpdatedAt = at
	t := transition(a, next, AuditRecord{At: at, Actor: by.ID, ActorRole: by.Role, Action: ActionModify,
		Reason: "changed: " + strings.Join(m.Changed, ","), RequestID: by.RequestID})
	t.WantSeal = WantsSeal(next)
	return t, nil
}
