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
	// UpdateUser writes u if the stored version is still u.Version (ECONFLICT otherwise) and
	// returns it with the next version. The phone cannot change here.
	UpdateUser(ctx context.Context, u User) (User, error)

	// PutSession stores a session; GetSession returns ENOTFOUND for a missing or expired
	// one (now is the caller's clock). DeleteSession is idempotent. DeleteUserSessions ends
	// every session of a user.
	PutSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, tokenHash string, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
	DeleteUserSessions(ctx context.Context, userID string) error

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

	// PutCode stores a new code for (Phone, Purpose), replacing any earlier one.
	PutCode(ctx context.Context, c SMSCode) error
	// CheckCode checks codeHash against the live code for (phone, purpose) at now.
	// A match of an unexpired, unused code with fewer than MaxCodeAttempts wrong tries is
	// nil, and with consume the code is marked used in the same conditional write, so of
	// concurrent consumers exactly one succeeds. Everything else is EBADCODE: no code,
	// expired, used, dead, or wrong (a wrong try is counted, atomically).
	CheckCode(ctx context.Context, phone, purpose, codeHash string, now time.Time, consume bool) error

	// PutUpload records a presigned upload; EEXISTS if the key is recorded already.
	PutUpload(ctx context.Context, u Upload) error
	// GetUpload returns the record of key; ENOTFOUND if there is none or it expired
	// (ExpiresAt not after now).
	GetUpload(ctx context.Context, key string, now time.Time) (Upload, error)

	// Incr adds one to the counter key and returns the new value. A counter whose window
	// has passed (expiresAt of its first increment is not after now) starts again at 1
	// with the new expiresAt.
	Incr(ctx context.Context, key string, now, expiresAt time.Time) (int64, error)
	// Counter returns the current value of key, 0 if absent or expired.
	Counter(ctx context.Context, key string, now time.Time) (int64, error)
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

// Documents keeps uploaded files private in an object store; clients reach them only
// through short-lived presigned URLs.
type Documents interface {
	Ping(ctx context.Context) error
	// PresignPut returns a PUT that the store accepts only with exactly this content type
	// and length, until ttl has passed.
	PresignPut(ctx context.Context, key, contentType string, length int64, ttl time.Duration) (PresignedRequest, error)
	// PresignGet returns a GET URL valid for ttl that makes browsers download the object
	// as an attachment named filename.
	PresignGet(ctx context.Context, key string, ttl time.Duration, filename string) (string, error)
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
