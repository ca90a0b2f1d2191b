package kyc

import "time"

// Actions of the audit records of reads, which change nothing but show personal data.
// Clients and the audit trail read them, so they never change.
const (
	// ActionRead is a reviewer's read of one account's detail (an AuditRecord in the
	// account's trail).
	ActionRead = "read"
	// ActionDownload is a reviewer's download of one document (an AuditRecord in the
	// account's trail).
	ActionDownload = "download"
	// ActionListRead is a reviewer's read of one page of a list of accounts (an
	// ActorAuditRecord: a page spans accounts, so it is kept by who read it).
	ActionListRead = "list_read"

	// SubjectMissingAccount is the Subject of an ActionRead of an account that does not
	// exist (a reviewer's detail of an unknown id).
	SubjectMissingAccount = "missing_account"
)

// ActorAuditRecord is one append-only entry of what a user (a reviewer) read across
// accounts, kept under the reader rather than under each account: a list page shows many
// accounts, and one record naming them all costs one write however long the page is,
// where a record per account would cost a write each. It names accounts by id only (ids
// are not personal data); what each showed follows from the account's trail.
type ActorAuditRecord struct {
	Actor     string // the reader's user id
	ActorRole Role
	At        time.Time
	Action    string // ActionListRead
	// Subject is what was read: for a list, the account type of the list
	// (personal_account, company_account).
	Subject string
	// AccountIDs are the accounts shown, in the order shown; empty if none were.
	AccountIDs []string
	RequestID  string
}
