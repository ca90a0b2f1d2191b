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
