package kyc

import "time"

// Role is what a user may do. Routes declare the role they require.
type Role string

const (
	RoleAnyone   Role = "anyone" // routes only: no token needed
	RoleUser     Role = "user"
	RoleReviewer Role = "reviewer"
	RoleAdmin    Role = "admin"
	// RoleIntegrator is an integrator app's token (seed 004): it reaches the integrator
	// routes and no route of the other roles, which in turn never admit it (API.md).
	RoleIntegrator Role = "integrator"
)

// AccountType is personal or company (seed 000's `type`).
type AccountType string

const (
	PersonalAccount AccountType = "personal_account"
	CompanyAccount  AccountType = "company_account"
)

// State is an account's verification state (DOMAIN.md).
type State string

const (
	StateUnverified    State = "UNVERIFIED"
	StateSubmitted     State = "SUBMITTED"
	StatePendingReview State = "PENDING_REVIEW"
	StateApproved      State = "APPROVED"
	StateRejected      State = "REJECTED"
)

// RejectType says whether a rejected account may submit again.
type RejectType string

const (
	RejectRetry RejectType = "RETRY"
	RejectFinal RejectType = "FINAL"
)

// User is a person who signs in. Phone is unique across users.
type User struct {
	ID             string
	Phone          string
	PasswordHash   string
	Role           Role
	AccountID      string // the one account the user owns
	Portrait       string // object key of the avatar, "" if none
	RegistrationID string // push registration id from the app (seed 003)
	Frozen         bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64 // optimistic locking; the store sets it
}

// Session is a logged-in token. Only the SHA-256 of the token is ever stored.
//
// A session carries who its user is (account and role) so that one read of it tells a
// request everything about its caller. It is a copy: whatever changes the user's role or
// freezes the user ends all the user's sessions, so a stale copy never outlives the change.
type Session struct {
	TokenHash string
	UserID    string
	AccountID string
	Role      Role
	// AppKey is the integrator app of an integrator's session (Role RoleIntegrator,
	// UserID and AccountID empty).
	AppKey    string
	CreatedAt time.Time
	ExpiresAt time.Time
	// UserVersion is the version of the user the session was opened from (not stored).
	// When set, PutSession refuses with ECONFLICT if the user has changed since: a role
	// change, freeze or password reset that raced the login ends the user's sessions
	// before this one exists, so the login must not write it with what it read before.
	UserVersion int64
}

// Principal is the authenticated caller of a request, as its session says.
type Principal struct {
	UserID    string
	AccountID string
	Role      Role
	TokenHash string
	// AppKey is the integrator app calling (Role RoleIntegrator); UserID and AccountID
	// are empty then.
	AppKey string
}

// LiveSession names a session that a write requires to be live (present, not expired at
// Now): a read route that learnt its caller from the token alone (Store.OpenToken)
// authorizes in the same call that records the read.
type LiveSession struct {
	TokenHash string
	Now       time.Time
}

// Principal returns the caller the session stands for.
func (s Session) Principal() Principal {
	return Principal{UserID: s.UserID, AccountID: s.AccountID, Role: s.Role, TokenHash: s.TokenHash, AppKey: s.AppKey}
}

// Principal is the caller u would be, as a session opened for u says.
func (u User) Principal() Principal {
	return Principal{UserID: u.ID, AccountID: u.AccountID, Role: u.Role}
}

// Reviewer reports whether the principal may review accounts (reviewers and admins).
func (p Principal) Reviewer() bool { return p.Role == RoleReviewer || p.Role == RoleAdmin }

// Document is one uploaded file in a slot of an account's submission.
type Document struct {
	Slot        string
	Key         string
	ContentType string
	Size        int64
	UploadedAt  time.Time
	// Check is the review worker's verdict on the document: "ok", or a reason code such
	// as "corrupt". It is empty until the document has been checked.
	Check string
	// Generated marks a document the platform made rather than its owner uploaded: the
	// generated seal, which a change of the company's name makes again.
	Generated bool
}

// OwnerKind says who owns an account: an app user (the default, "") or an integrator.
type OwnerKind string

const (
	OwnerUser       OwnerKind = ""
	OwnerIntegrator OwnerKind = "integrator"
)

// Account is what is verified: a person or a company. A user owns exactly one; an
// integrator owns those it created (OwnerKind OwnerIntegrator, OwnerID its app key).
type Account struct {
	ID            string
	OwnerKind     OwnerKind
	OwnerID       string
	Type          AccountType
	Name          string
	Tel           string
	Address       string
	Organization  string
	IDNumber      string
	NotActive     bool
	State         State
	RejectType    RejectType
	Reasons       []string
	ReuploadSlots []string
	Documents     map[string]Document
	Attempts      int
	SubmittedAt   time.Time // orders the review queue: oldest first
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Version       int64 // optimistic locking; the store sets it
	// ProfileVersion is the number of the company profile's latest version (0: none), so
	// that the next version's number is known from the account alone and a version is
	// written in the account's own transaction.
	ProfileVersion int64
	// AdminAccountID is the VERIFIED person account an integrator named as its company's
	// administrator (POST /v1/accounts/organization); "" otherwise.
	AdminAccountID string
	// BankRequired marks a company account that is APPROVED only once a bank
	// verification (seed 004's micro-payment) is VERIFIED as well as the reviewer's
	// approval: an integrator's company always (API.md), an app user's under
	// REQUIRE_BANK_VERIFICATION. ReviewApproved and BankVerified are the two verdicts so
	// far; whichever comes second approves (see ApproveReviewed and RecordBankVerified).
	BankRequired, ReviewApproved, BankVerified bool
}

// NotAuthorized is seed 000's flag: true until the account is approved.
func (a Account) NotAuthorized() bool { return a.State != StateApproved }

// AuditRecord is one append-only entry of an account's trail: a transition or a
// reviewer's read or download.
type AuditRecord struct {
	AccountID string
	At        time.Time
	Actor     string // user id, reviewer id, or "system"
	ActorRole Role
	Action    string // "transition", "read", "download", ...
	From      State
	To        State
	Reason    string
	RequestID string
}

// Transition is a conditional change of an account: it succeeds only if the stored account
// is still in FromState at FromVersion. Account is the new value; the store writes it with
// Version = FromVersion+1, appends Audit, and keeps the pending counters in the same
// atomic write.
//
// The same write keeps identity claims, so that one ID number (personal) or registration
// number (company) is never APPROVED on two accounts:
//   - When the new state is APPROVED and Account.IDNumber is not empty, the account claims
//     the identity (Account.Type, Account.IDNumber). If another account holds that claim,
//     the whole transition fails with ECONFLICT ("identity already verified on another
//     account") and nothing is written. A claim the account already holds is kept.
//   - When an APPROVED account leaves APPROVED, or stays APPROVED with another type or ID
//     number, the claim of its stored (type, ID number) is released if this account holds it.
//
// The claim is per type: the same number on a personal and a company account are two
// identities.
type Transition struct {
	Account     Account
	FromState   State
	FromVersion int64
	Audit       AuditRecord
	// Profile, when set, is a new company profile version written in the same atomic
	// write, only if that version does not exist yet.
	Profile *ProfileVersion
	// FromType and FromIDNumber are the stored account's identity when the transition
	// changes it (an enterprise change's approval turns a person into a company), so that
	// the store releases the old claim in its first write instead of learning the old
	// identity from a failed one; empty when it is Account's.
	FromType     AccountType
	FromIDNumber string
	// WantSeal records, in the same atomic write, that the account (an approved company
	// without an uploaded seal) wants its seal generated; SealDone removes that record.
	// The seal function works through the records (ListSealsWanted), so no approval's
	// seal is lost between the approval and the function.
	WantSeal, SealDone bool
	// Create writes an account that does not exist yet (an integrator's company, created
	// and submitted in one write: POST /v1/accounts/organization), on condition that it
	// does not; FromState and FromVersion are then the zero account's.
	Create bool
	// RevokeCert, when set, revokes the account's live certificate in the same atomic
	// write (a company's legal change, DOMAIN.md Certificates), so the change is never
	// stored without its revocation.
	RevokeCert *CertRevocation
}

// CertRevocation is the revocation of an account's live certificate that rides in a
// Transition. Live is the certificate read with the account (nil when it had none): the
// write revokes it (ISSUED -> REVOKED, the account's live-certificate guard removed, the
// certificate.revoked event, its serial queued for the next CRL) on condition that it is
// still the live one, or, when Live is nil, on condition that the account still has no
// live certificate; ECONFLICT otherwise, with nothing written.
type CertRevocation struct {
	Live *LiveCert
	// Reason is the RFC 5280 CRL reason code (pkg/ca's Reason).
	Reason int
}

// LiveCert names an account's live (ISSUED) certificate.
type LiveCert struct {
	ID     string
	Serial string // lower-case hex
}

// ProfileVersion is one stored version of a company's profile (seed 001's form): Fields
// are the form's fields by name, as company.Profile.Fields gives them, with document
// fields naming stored objects. Versions are never changed once written.
type ProfileVersion struct {
	AccountID string
	Version   int64
	Fields    map[string]string
	// Changed names the fields that differ from the previous version (never values).
	Changed []string
	At      time.Time
	Actor   string
}

// PendingPage is one page of accounts awaiting review, oldest first.
//
// The company queue also holds the pending enterprise changes (seed 002): a personal
// account asking to become a company waits for the same reviewers. Such an entry is the
// company the change asks for (Account of type company with the change's name, credit
// code, legal person and submission time; the account's id, since the approve and reject
// routes decide the change by it), and Changes names it.
type PendingPage struct {
	Accounts   []Account
	NextCursor string          // "" on the last page
	Total      int64           // maintained count of the type's queue (PENDING_REVIEW accounts, and for companies pending changes), when the listing began (a later page repeats the first page's)
	Changes    map[string]bool // ids of Accounts entries that are pending enterprise changes
}

// ReviewMessage is the body of a review-queue message.
type ReviewMessage struct {
	AccountID string `json:"account_id"`
	Version   int64  `json:"version"`
}

// Purposes of an SMS code.
const (
	PurposeRegister      = "register"
	PurposeResetPassword = "reset_password"
	// PurposeVerify is the code of a hosted three-factor verification (issue 14): it
	// proves the person holds the mobile before the provider is asked.
	PurposeVerify = "verify"
	// PurposeRegisteredNotice is not a code: it is the text sent instead of a register
	// code to a phone that already has an account, so that sms-code answers alike for
	// every phone (no enumeration) and the owner learns someone tried.
	PurposeRegisteredNotice = "registered_notice"
)

// SMSCode is a one-time code sent to a phone for one purpose. Only its hash is stored.
// A code is good until ExpiresAt, for one successful use, and dies after MaxCodeAttempts
// wrong tries.
type SMSCode struct {
	Phone     string
	Purpose   string
	CodeHash  string
	Attempts  int // wrong tries so far
	Used      bool
	CreatedAt time.Time
	ExpiresAt time.Time
}

// MaxCodeAttempts is how many wrong tries kill a code.
const MaxCodeAttempts = 5

// Upload is a presigned upload handed to a user: the server-chosen key, who may use it
// and for which slot, and what the store was told to accept. A submission may only name
// keys recorded here for the same account and slot.
type Upload struct {
	Key         string
	AccountID   string
	UserID      string
	Slot        string
	ContentType string
	Length      int64
	CreatedAt   time.Time
	ExpiresAt   time.Time // the record's lifetime (TTL), longer than the URL's
}

// Limit is a fixed-window rate limit: at most Max counts under Key per Window, the
// windows aligned on multiples of Window since the Unix epoch. Fixed windows let a limit
// be reserved in one conditional write with no read (a sliding one needs the count read
// first); the price is that up to 2*Max counts fit around a window's boundary.
type Limit struct {
	Key    string
	Max    int64
	Window time.Duration
	// Offset moves the windows' alignment: they start where the time plus Offset is a
	// multiple of Window (BeijingOffset with a 24 h window: Beijing days).
	Offset time.Duration
}
