package kyc

import "time"

// EnterpriseChange is an account's request to become a company's account (seed 002),
// kept beside the account, not in it: until a reviewer approves it the account stays an
// APPROVED personal account, its state, identity claim and documents untouched.
//
// One per account. Pending says it awaits review; a decided change stays stored (not
// Pending) so that Attempts keeps counting the account's changes.
type EnterpriseChange struct {
	AccountID string
	Pending   bool
	// The company as the change describes it (company.Change, normalised).
	CorpName         string
	VerifiedNumber   string // the company identity that approval would claim
	OrganizationType int
	RegCountry       string
	RegAddress       string
	LegalName        string
	LegalIDNumber    string
	CertifierRole    string
	// Documents are the change's files by slot, copied under the account.
	Documents map[string]Document
	// Attempts counts the changes the account submitted, this one included.
	Attempts    int
	SubmittedAt time.Time
	SubmittedBy string
	Version     int64 // optimistic locking; the store sets it (0: never stored)
}

// Audit actions of a reviewer's decision on an enterprise change.
const (
	ActionApproveChange = "approve_change"
	ActionRejectChange  = "reject_change"
)

// changeDecidable refuses a decision on a change that does not wait for one, on an
// account that is no longer the APPROVED personal account that asked, and on the
// reviewer's own account (maker-checker, as for applications).
func changeDecidable(a Account, c EnterpriseChange, by Actor) error {
	if by.ID != "" && (a.OwnerID == by.ID || (by.AccountID != "" && a.ID == by.AccountID)) {
		return Errorf(EFORBIDDEN, "nobody decides their own account")
	}
	if !c.Pending || c.AccountID != a.ID {
		return Errorf(ECONFLICT, "the account has no enterprise change awaiting review")
	}
	if a.State != StateApproved || a.Type != PersonalAccount {
		return Errorf(ECONFLICT, "the account is a %s %s, not an APPROVED personal account", a.State, a.Type)
	}
	return nil
}

// ApproveChange turns the APPROVED personal account a into the APPROVED account of the
// company of its pending change c: its type, name and identity (the company's number,
// which the store claims) become the company's, and the change's documents join the
// account's. The personal identity is released by the store (the account no longer
// holds it; the person may verify it again elsewhere). The account stays APPROVED.
func ApproveChange(a Account, c EnterpriseChange, by Actor, at time.Time) (Transition, error) {
	if err := changeDecidable(a, c, by); err != nil {
		return Transition{}, err
	}
	next := a
	next.Type, next.Name, next.Organization, next.IDNumber = CompanyAccount, c.CorpName, c.CorpName, c.VerifiedNumber
	if c.RegAddress != "" {
		next.Address = c.RegAddress
	}
	next.Documents = make(map[string]Document, len(a.Documents)+len(c.Documents))
	for slot, d := range a.Documents {
		next.Documents[slot] = d
	}
	for slot, d := range c.Documents {
		next.Documents[slot] = d
	}
	next.UpdatedAt = at
	t := transition(a, next, AuditRecord{At: at, Actor: by.ID, ActorRole: by.Role, Action: ActionApproveChange, RequestID: by.RequestID})
	t.FromType, t.FromIDNumber = a.Type, a.IDNumber
	t.WantSeal = WantsSeal(next)
	return t, nil
}

// RejectChange refuses the pending change c of a: the account is written back as it was
// (only UpdatedAt moves), so the decision is one audited, conditional write like any
// other; the reason is the audit record's.
func RejectChange(a Account, c EnterpriseChange, by Actor, at time.Time, reason string) (Transition, error) {
	if err := changeDecidable(a, c, by); err != nil {
		return Transition{}, err
	}
	next := a
	next.UpdatedAt = at
	return transition(a, next, AuditRecord{At: at, Actor: by.ID, ActorRole: by.Role, Action: ActionRejectChange, Reason: reason, RequestID: by.RequestID}), nil
}
