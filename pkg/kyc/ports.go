package kyc

import (
	"context"
	"io"
	"time"
)

// Store keeps users, sessions, accounts, audit records and counters.
//
// Every method that changes state is a conditional write: two concurrent callers never both
// win. Expiring items (sessions, counters) are checked against their expiry on every read,
// since neither emulators nor DynamoDB itself delete TTL items promptly.
type Store interface {
	// Ping checks the store is reachable.
	Ping(ctx context.Context) error

	// CreateUser stores a new user and the account it owns, atomically. EEXISTS if the
	// phone is taken (or the ids exist); nothing is written then.
	CreateUser(ctx context.Context, u User, a Account) (User, error)
	// GetUser and GetUserByPhone return ENOTFOUND when there is no such user.
	GetUser(ctx context.Context, id string) (User, error)
	GetUserByPhone(ctx context.Context, phone string) (User, error)
	// GetUserAndAccount reads a user and an account in one call (the profile needs both);
	// ENOTFOUND names whichever is missing.
	GetUserAndAccount(ctx context.Context, userID, accountID string) (User, Account, error)
	// UserIDsForPhone are the ids a user registering phone gets, and its account: derived
	// from the phone under the store's secret, so GetLoginByPhone reads the phone item, the
	// user and the account in one call. GetLoginByPhone returns the phone's user and
	// account (a second call for a user made with other ids); ENOTFOUND without a user.
	UserIDsForPhone(phone string) (userID, accountID string)
	GetLoginByPhone(ctx context.Context, phone string) (User, Account, error)
	// UpdateUser writes u if the stored version is still u.Version (ECONFLICT otherwise) and
	// returns it with the next version. The phone cannot change here, nor can the role or
	// Frozen (EINVALID): those change through ChangeUser.
	UpdateUser(ctx context.Context, u User) (User, error)

	// PutSession stores a session; GetSession returns ENOTFOUND for a missing or expired
	// one (now is the caller's clock). DeleteSession is idempotent. ChangeUser and
	// ResetPassword (below) end every session of a user.
	PutSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, tokenHash string, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
	// SealToken makes the bearer token of a session of p that expires at expires: opaque,
	// carrying p sealed under the store's secret. OpenToken returns the caller of such a
	// token without reading anything (EUNAUTHORIZED if it is not one, or has expired);
	// whether its session is still live is GetSession's answer, or a LiveSession write's.
	SealToken(p Principal, expires time.Time) (string, error)
	OpenToken(token string, now time.Time) (Principal, error)

	// GetAccount returns ENOTFOUND when there is no such account.
	GetAccount(ctx context.Context, id string) (Account, error)
	// Transition applies t atomically (see Transition): ECONFLICT if the account moved on
	// or if it would approve an identity that another account holds, ENOTFOUND if it does
	// not exist. Approving claims the account's identity and leaving APPROVED releases it,
	// in the same atomic write.
	Transition(ctx context.Context, t Transition) (Account, error)
	// IdentityOwner returns the id of the account that holds the approved identity
	// (typ, idNumber) claimed by Transition; ENOTFOUND if no account holds it. The read is
	// strongly consistent: a transition that returned is seen.
	IdentityOwner(ctx context.Context, typ AccountType, idNumber string) (accountID string, err error)
	// ListPending returns accounts of a type in PENDING_REVIEW, oldest SubmittedAt first.
	// cursor is "" or a NextCursor of an earlier page of the same type; anything else is
	// EINVALID. limit is clamped to 1..100.
	ListPending(ctx context.Context, typ AccountType, limit int, cursor string) (PendingPage, error)
	// ListSubmittedBefore returns up to limit accounts in SUBMITTED whose SubmittedAt is
	// before t, oldest first: the reconciler's work list.
	ListSubmittedBefore(ctx context.Context, t time.Time, limit int) ([]Account, error)

	// AppendAudit adds a record that is not a transition (a reviewer's read or download).
	AppendAudit(ctx context.Context, r AuditRecord) error
	// ListAudit returns an account's trail, oldest first.
	ListAudit(ctx context.Context, accountID string) ([]AuditRecord, error)
	// GetAccountAndAudit is GetAccount and ListAudit in one read (the reviewer's detail
	// view); ENOTFOUND when there is no such account, whatever records there are.
	GetAccountAndAudit(ctx context.Context, accountID string) (Account, []AuditRecord, error)

	// PutUpload records a presigned upload; EEXISTS if the key is recorded already.
	PutUpload(ctx context.Context, u Upload) error
	// GetUpload returns the record of key; ENOTFOUND if there is none or it expired
	// (ExpiresAt not after now).
	GetUpload(ctx context.Context, key string, now time.Time) (Upload, error)

	// The document routes' combined reads and writes
	//
	// Each does in one call what a document route would otherwise do with several of the
	// methods above, so that no document route needs more than three calls, counting the
	// session lookup (pkg/dynamo's documentation counts them). Reads are strongly
	// consistent.

	// GetAccountAndUploads reads the account accountID and the upload records of keys in
	// one call (for up to 99 distinct keys; every further 100 add a call). It is a read:
	// nothing is written or marked. ENOTFOUND if there is no such account, whatever the
	// uploads. The map holds each record found, under its key; a key without a record,
	// or whose record has expired (ExpiresAt not after now, as for GetUpload), is absent
	// from it, and so are keys that cannot be stored ("", over 1024 bytes, not UTF-8).
	// A key given twice is read once.
	GetAccountAndUploads(ctx context.Context, accountID string, keys []string, now time.Time) (Account, map[string]Upload, error)
	// SetUserPortrait makes key the portrait of the user userID (and at its UpdatedAt)
	// and returns the portrait it replaced ("" if none), in one atomic write: one call.
	// The write advances the user's Version, so an UpdateUser or ChangeUser from a read
	// before it fails its version condition (and reads again) rather than write the old
	// portrait back. Of concurrent calls each returns what it replaced, so every replaced
	// key is returned to exactly one caller. ENOTFOUND if there is no such user (nothing
	// is written); EMISSING if key is "".
	SetUserPortrait(ctx context.Context, userID, key string, at time.Time) (old string, err error)

	// Incr adds one to the counter key and returns the new value. A counter whose window
	// has passed (expiresAt of its first increment is not after now) starts again at 1
	// with the new expiresAt.
	Incr(ctx context.Context, key string, now, expiresAt time.Time) (int64, error)
	// Counter returns the current value of key, 0 if absent or expired.
	Counter(ctx context.Context, key string, now time.Time) (int64, error)

	// The user routes' combined reads and writes
	//
	// Each does in one or two calls what a user route would otherwise do with several of
	// the methods above, so that every route needs at most three calls (pkg/dynamo's
	// documentation counts them). Reads are strongly consistent.

	// PhoneAndCounter reads, in one call, the ids of the user with this phone and of
	// the account the user owns ("" and "" if no user has it; accountID is "" too for a
	// phone registered before the store kept it with the phone) and the counter key as
	// Counter reads it (0 if key is "").
	PhoneAndCounter(ctx context.Context, phone, key string, now time.Time) (userID, accountID string, n int64, err error)
	// CountAndPutCode counts an SMS code request and stores its code, in two calls. It
	// reads the counters keys (each as Counter reads it) and the id of the user with
	// c.Phone ("" if none) in one call, and passes them to decide, which returns how many
	// of the counters, from the first, to count; whether to store c; and the error that
	// CountAndPutCode returns once that is written. One atomic write then adds one to each
	// of those counters (a counter whose window has passed starts again at 1, its window
	// ending at the same index of ends) and, if asked, stores c, replacing any code of its
	// phone and purpose outright (the new code starts with c's Used and Attempts: unused
	// and none, from the service) and recording the user id read. Each counter is written
	// only if it still holds what was read: if another request counted meanwhile, nothing
	// is written and it reads and asks decide again (a few times, then fails). Nothing is
	// written when decide asks for nothing. A code without a phone, purpose or hash, or
	// whose purpose contains '#', is refused (EMISSING, EINVALID) before anything is read.
	CountAndPutCode(ctx context.Context, c SMSCode, keys []string, ends []time.Time, now time.Time,
		decide func(counts []int64, userID string) (count int, put bool, err error)) error
	// TryCode compares codeHash with the live code of (phone, purpose) at now in one
	// atomic write, which counts the try if the hash is wrong, so no more than
	// MaxCodeAttempts wrong hashes are ever compared with one code, however many tries run
	// at once. A code is live while it exists, is unused, has fewer than MaxCodeAttempts
	// wrong tries and now is before its ExpiresAt. A match returns the user id that
	// CountAndPutCode recorded with the code ("" if none was, or the code was stored
	// before the store recorded it); it counts no try and does not use the code:
	// RegisterUser and ResetPassword do, in their own atomic write, so of concurrent uses
	// of a code exactly one succeeds. Everything else is EBADCODE: no code, expired, used,
	// dead, or wrong (the empty phone or purpose included).
	TryCode(ctx context.Context, phone, purpose, codeHash string, now time.Time) (userID string, err error)
	// RegisterUser is CreateUser, the use of the register code of u.Phone (which must be
	// live at now with hash codeHash and is marked used) and PutSession of s (a session of
	// the new user), in one atomic write: one call. EEXISTS if the phone or the ids are
	// taken, whatever the code; otherwise EBADCODE if the code is no longer live with that
	// hash (used, replaced, expired or absent). Nothing is written on failure, so of
	// concurrent registrations of a phone exactly one succeeds. The user is returned as
	// stored (Version 1).
	RegisterUser(ctx context.Context, u User, a Account, codeHash string, now time.Time, s Session) (User, error)
	// OpenSession is PutSession for a session opened from the user at s.UserVersion, which
	// must be set: one atomic write of the session that fails with ECONFLICT if the user
	// is no longer at that version, and marks on the user that a session was opened, so a
	// concurrent ChangeUser or ResetPassword that read the user's sessions before it reads
	// them again rather than miss this one.
	OpenSession(ctx context.Context, s Session) error
	// ChangeUser changes a user and ends all its sessions, in two calls. It reads the user
	// and its sessions (one call) and passes the user to change, which returns the new user
	// and whether to write it (false: nothing is written and the stored user is
	// returned). One atomic write then stores the new user (every field but the id,
	// phone and creation time; Version+1) if neither the user changed nor a session was
	// opened (OpenSession) since the read, and deletes the sessions read. If either
	// happened it reads and calls change again (a few times, then ECONFLICT), so change
	// must do nothing but compute the new user. Sessions beyond what one atomic write
	// holds (dozens) are deleted, before it, separately. ENOTFOUND if there is no such
	// user. The new user is returned.
	ChangeUser(ctx context.Context, userID string, change func(u User) (User, bool, error)) (User, error)
	// ResetPassword sets the password hash of the user userID (and UpdatedAt = now), ends
	// all its sessions and uses the reset_password code of phone, which must be live at
	// now with hash codeHash: ChangeUser with the code's use in the same atomic write, two
	// calls. EBADCODE if the code is no longer live with that hash (a concurrent reset
	// used it) or the user does not have this phone; ENOTFOUND if there is no such user.
	ResetPassword(ctx context.Context, phone, codeHash, userID, passwordHash string, now time.Time) (User, error)

	// Limits and audited user changes (issue 11)

	// Reserve counts one attempt against every limit, in their windows at now, in one
	// atomic write, before the attempt is made: if any limit is full nothing is counted
	// and the error is ETOOMANY with full the index of the first full limit (-1
	// otherwise). Concurrent reservations are counted one by one, so however many run
	// at once no limit admits more than its Max in a window.
	Reserve(ctx context.Context, limits []Limit, now time.Time) (full int, err error)
	// TryCodeLimited is TryCode that also counts a wrong try against limit (e.g. wrong
	// codes per source address), in the same atomic write: a try while limit is full is
	// ETOOMANY and is neither compared nor counted. A right try is not counted. A used
	// code tried with its own hash is ECONFLICT (its owner registered or reset already),
	// any other dead code EBADCODE.
	TryCodeLimited(ctx context.Context, phone, purpose, codeHash string, now time.Time, limit Limit) (userID string, err error)
	// OpenSessionReleasing is OpenSession that also gives back one reservation of each
	// limit (counted by Reserve at reservedAt) in the same atomic write: a login that
	// succeeds does not count as a failure.
	OpenSessionReleasing(ctx context.Context, s Session, release []Limit, reservedAt time.Time) error
	// ChangeUserAudited is ChangeUser that appends the record audit makes of the change
	// (from the user as read to the user as written; its AccountID, if empty, is the
	// user's account) in the same atomic write, when change writes. Every change (this
	// or ChangeUser) keeps the count of active admins (role admin, not frozen) in that
	// write too, and one that would leave no active admin is refused: ECONFLICT with
	// Reason "last_admin".
	ChangeUserAudited(ctx context.Context, userID string, audit func(was, now User) AuditRecord, change func(u User) (User, bool, error)) (User, error)
	// AppendActorAuditLive adds a record of what r.Actor read across accounts (a
	// reviewer's list page), never overwriting one, on the condition that live's session
	// is live: one call; EUNAUTHORIZED if it has ended, EMISSING without an actor.
	// AppendAuditLive is AppendAudit on the same condition.
	AppendActorAuditLive(ctx context.Context, live LiveSession, r ActorAuditRecord) error
	AppendAuditLive(ctx context.Context, live LiveSession, r AuditRecord) error
	// ListActorAudit returns the records of actor, oldest first.
	ListActorAudit(ctx context.Context, actor string) ([]ActorAuditRecord, error)
	// PutUploadCounted is PutUpload and Reserve of limit at now, in one atomic write: one
	// call. A full limit is ETOOMANY, an upload key recorded already EEXISTS; nothing is
	// written on failure, so of concurrent calls at most limit.Max a window succeed.
	PutUploadCounted(ctx context.Context, u Upload, limit Limit, now time.Time) error
	// GetAccountChangeAndUploads is GetAccountAndUploads that also reads the account's
	// enterprise change (the zero change, AccountID "", if it never asked for one), in the
	// same one call.
	GetAccountChangeAndUploads(ctx context.Context, accountID string, keys []string, now time.Time) (Account, EnterpriseChange, map[string]Upload, error)
	// PutChange stores c as acct's pending enterprise change (Pending set, Version
	// c.Version+1, returned) in one atomic write, if acct is still at acct.Version, an
	// APPROVED personal account, and the stored change is still at c.Version (0: none) and
	// not pending; ECONFLICT otherwise, nothing written. The account is not changed.
	PutChange(ctx context.Context, acct Account, c EnterpriseChange) (EnterpriseChange, error)
	// GetChange returns the account's enterprise change, the zero change if none.
	GetChange(ctx context.Context, accountID string) (EnterpriseChange, error)
	// DecideChange is Transition of t and the write of c as decided (not pending, Version
	// c.Version+1), in one atomic write, if the stored change is still pending at
	// c.Version; ECONFLICT otherwise, nothing written.
	DecideChange(ctx context.Context, t Transition, c EnterpriseChange) (Account, error)
	// GetAccountChangeAndAudit is GetAccountAndAudit that also returns the account's
	// enterprise change (the zero change if none), in the same read.
	GetAccountChangeAndAudit(ctx context.Context, accountID string) (Account, EnterpriseChange, []AuditRecord, error)

	// GetAccountAndProfiles reads an account and every version of its company profile,
	// oldest first, in one strongly consistent read (Transition writes the versions);
	// ENOTFOUND when there is no such account.
	GetAccountAndProfiles(ctx context.Context, accountID string) (Account, []ProfileVersion, error)
	// GetAccountAuditAndProfiles is GetAccountAndAudit with the profile versions (the
	// reviewer's detail of a company), in the same single read.
	GetAccountAuditAndProfiles(ctx context.Context, accountID string) (Account, []AuditRecord, []ProfileVersion, error)
	// GetAccountDetail is everything the reviewer's detail shows in one read: the
	// account, its enterprise change (the zero change if none), its trail and its
	// profile versions; ENOTFOUND when there is no such account.
	GetAccountDetail(ctx context.Context, accountID string) (Account, EnterpriseChange, []AuditRecord, []ProfileVersion, error)

	// The review worker's reads and writes (issue 12: at most three calls a message)

	// BeginCheck counts an attempt at the automated checks of the account accountID at
	// version and returns the account with its counts, in one atomic write: ECONFLICT
	// when the account is no longer SUBMITTED at version (nothing counted), ENOTFOUND
	// when there is no such account. The counts belong to that submission: the next
	// transition of the account ends them.
	BeginCheck(ctx context.Context, accountID string, version int64) (Account, CheckCounts, error)
	// EndCheckWithoutVerdict counts an attempt that ended without a verdict (an outage,
	// retried) on the submission at version; ECONFLICT when it is no longer SUBMITTED there.
	EndCheckWithoutVerdict(ctx context.Context, accountID string, version int64) error
	// CheckInputs reads, in one strongly consistent call, the account holding acct's
	// identity ("" if none, or acct has no ID number) and the current profile version of
	// a company that applied with seed 001's form (nil otherwise).
	CheckInputs(ctx context.Context, acct Account) (owner string, profile *ProfileVersion, err error)

	// GetAccountProfileAndUploads is GetAccountAndUploads with the account's current
	// company profile version (nil if it has none), in the same one call (the reapply
	// route's read).
	GetAccountProfileAndUploads(ctx context.Context, accountID string, keys []string, now time.Time) (Account, *ProfileVersion, map[string]Upload, error)
	// GetAccountProfileUploadsAndCert is GetAccountProfileAndUploads with the account's
	// live certificate (nil when it has none), read in the same call: a modification that
	// is a legal change revokes it in its own write (Transition.RevokeCert).
	GetAccountProfileUploadsAndCert(ctx context.Context, accountID string, keys []string, now time.Time) (Account, *ProfileVersion, map[string]Upload, *LiveCert, error)

	// ListSealsWanted returns up to limit accounts whose approval asked for a generated
	// seal (Transition.WantSeal) not generated yet (Transition.SealDone), in one call.
	ListSealsWanted(ctx context.Context, limit int) ([]string, error)
	// DropSealWanted ends the seal request of an account that no longer wants one.
	DropSealWanted(ctx context.Context, accountID string) error

	// Identity factors (issue 14): factor records beside the account, and the daily
	// limit of failed checks reserved on the session's condition.
	FactorStore
}

// CheckCounts are the attempts at the automated checks of one submission: all started,
// and those that ended without a verdict but without crashing (review.MaxCheckAttempts).
type CheckCounts struct {
	Attempts            int64
	EndedWithoutVerdict int64
}

// ObjectInfo is what HeadObject tells about a stored document.
type ObjectInfo struct {
	Size        int64
	ContentType string
	ETag        string
}

// PresignedRequest is a request the client sends straight to the object store.
type PresignedRequest struct {
	URL       string
	Method    string
	Headers   map[string]string // headers the client must send exactly as given
	ExpiresAt time.Time
}

// Presigner issues the short-lived URLs through which clients reach documents. It is
// apart from Documents because signing needs no object-store client: a function that only
// hands out URLs (downloads, upload grants, the profile) links a signer, not the S3 SDK.
type Presigner interface {
	// PresignPut returns a PUT that the store accepts only with exactly this content type
	// and length, until ttl has passed.
	PresignPut(ctx context.Context, key, contentType string, length int64, ttl time.Duration) (PresignedRequest, error)
	// PresignGet returns a GET URL valid for ttl that makes browsers download the object
	// as an attachment named filename.
	PresignGet(ctx context.Context, key string, ttl time.Duration, filename string) (string, error)
}

// Documents keeps uploaded files private in an object store; clients reach them only
// through short-lived presigned URLs.
type Documents interface {
	Ping(ctx context.Context) error
	Presigner
	// Head returns ENOTFOUND if the object does not exist.
	Head(ctx context.Context, key string) (ObjectInfo, error)
	// GetRange reads n bytes from offset off (fewer at the end of the object).
	GetRange(ctx context.Context, key string, off, n int64) ([]byte, error)
	// Get opens the whole object; the caller closes it.
	Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)
	Put(ctx context.Context, key, contentType string, body io.ReadSeeker) error
	// Copy copies src to dst inside the store (the bytes never pass through the caller);
	// ENOTFOUND if src does not exist.
	Copy(ctx context.Context, src, dst string) error
	// Delete is idempotent.
	Delete(ctx context.Context, key string) error
	// List returns the keys of the objects whose key starts with prefix, in key order.
	List(ctx context.Context, prefix string) ([]string, error)
	// CopyAs is Copy with fresh metadata on dst: Content-Type contentType (the type the
	// server decided) and Cache-Control no-store, nothing of src's, so that what an
	// uploader stored with src is never served with the document. ENOTFOUND if src does
	// not exist.
	CopyAs(ctx context.Context, src, dst, contentType string) error
}

// Message is a received queue message.
type Message struct {
	ID            string
	Body          string
	ReceiptHandle string
	ReceiveCount  int
	SentAt        time.Time
}

// Queue is the review queue. A received message is hidden for the queue's visibility
// timeout; unless deleted it comes back, and after the queue's maximum receive count it
// moves to the dead-letter queue.
type Queue interface {
	Ping(ctx context.Context) error
	Send(ctx context.Context, body string) (id string, err error)
	// Receive waits up to wait for at most max messages (1..10).
	Receive(ctx context.Context, max int, wait time.Duration) ([]Message, error)
	Delete(ctx context.Context, receiptHandle string) error
}

// SMSSender delivers a code to a phone. Implementations never log the code or the phone.
type SMSSender interface {
	Send(ctx context.Context, phone, purpose, code string) error
}

// Clock tells the time; tests control it.
type Clock interface{ Now() time.Time }

// IDs makes new unique, URL-safe identifiers; tests control them.
type IDs interface{ NewID() string }
