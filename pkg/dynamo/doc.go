// Package dynamo implements kyc.Store on one DynamoDB table (single-table design) with
// aws-sdk-go-v2. No operation scans: every read is a GetItem or a Query on a key or on a
// sparse index, so its cost does not grow with the table.
//
// # Items
//
// Every item has the string key PK (partition) + SK (sort) and a Kind attribute naming
// what it is. Times are UTC strings of fixed width (2006-01-02T15:04:05.000000000Z) so
// that they sort as text in the order they sort as times.
//
//	Kind          PK                           SK                          notes
//	user          USER#<userID>                USER                        Version, SessionsOpened
//	phone         PHONE#<h(phone)>             PHONE                       UserID, AccountID: keeps phones unique
//	sessionRef    USER#<userID>                SESSION#<tokenHash>         TTL; lists a user's sessions
//	session       SESSION#<tokenHash>          SESSION                     UserID, AccountID, Role, ExpiresAt, TTL
//	account       ACCOUNT#<accountID>          ACCOUNT                     Version; sparse GSI keys below
//	audit         ACCOUNT#<accountID>          AUDIT#<at>#<random>         append-only, never rewritten
//	pendingCount  COUNT#PENDING#<type>         COUNT                       N = accounts of type in PENDING_REVIEW; GSIPending keys
//	counter       COUNTER#<h(name)>            COUNTER                     N, WindowEnd (unix ns), TTL
//	code          CODE#<h(phone)>#<purpose>    CODE                        Phone, CodeHash, Attempts, Used, ExpiresAt, TTL, UserID
//	upload        UPLOAD#<key>                 UPLOAD                      AccountID, UserID, Slot, ContentType, Length, ExpiresAt, TTL
//	identity      IDENTITY#<type>#<h(number)>  IDENTITY                    AccountID: the APPROVED holder of an ID number
//	factor        ACCOUNT#<accountID>          FACTOR#<at>#<random>        an answered identity check; never rewritten
//
// A user's sessions live twice: the session item, found by the hash of the token on every
// request, and a sessionRef in the user's partition, so that ChangeUser and ResetPassword,
// which end all of a user's sessions, find them with one strongly consistent Query (a GSI
// would be eventually consistent, and a session created just before a role change or a
// password reset could survive it). Both are written in one transaction.
//
// The phone item carries the account id as well as the user id (items written before
// lack it; readers then read the user first), so a login reads the user and the account
// in one BatchGetItem. The user item's SessionsOpened counts the sessions opened with
// OpenSession. ChangeUser and ResetPassword read the user's partition (the user and its
// sessionRefs, one Query) and write the user with the deletion of those sessions in one
// transaction, on condition that Version and SessionsOpened are as read: a login that
// opens a session between the read and the write fails that condition, and the change
// reads again and ends that session too. (PutSession, with a UserVersion, only checks the
// version: a session it opens at that moment could be missed. The user service opens its
// sessions with OpenSession.)
//
// An account's audit trail shares the account's partition, so ListAudit is one Query on
// PK with begins_with(SK, "AUDIT#"); the random suffix keeps two records written in the
// same nanosecond apart.
//
// # Keys hold no personal data
//
// h(v) is a keyed hash: the base64url of the first 16 bytes of HMAC-SHA256 of v under the
// store's secret (KEY_HASH_SECRET; see keys.go for the length). Every key component that
// is a phone, an ID or registration number, or a counter's name (which callers build from
// phones and source IPs) is hashed, so the table's keys, and the GSIs' keys, which
// DynamoDB shows in its console, exports, metrics and error messages, hold none of them;
// where the product reads a value back it is an ordinary attribute (the user's Phone, the
// account's IDNumber, the code's Phone). The hash is computed locally, so every lookup
// costs the calls it did with raw keys. A table is bound to its secret: with another, the
// hashed items are not found (no migration: the project is pre-release, and a table has
// only ever had one secret). Sessions were already keyed by the token's hash, and user,
// account and upload ids are random.
//
// # SMS codes
//
// A phone has at most one code per purpose, in one item that CountAndPutCode overwrites
// whole (a new code starts unused, with no wrong tries). The item keeps only the code's
// hash. A code is live while it exists, is not Used, has Attempts < kyc.MaxCodeAttempts
// and ExpiresAt > now (the caller's clock: TTL deletion is late and emulators never
// delete).
//
// TryCode is one conditional UpdateItem, SET Attempts = Attempts + 1 on condition "live
// AND CodeHash <> :h", so a wrong hash is compared and counted in one atomic step, and
// once Attempts reaches kyc.MaxCodeAttempts no guess is compared any more: however many
// run at once, at most MaxCodeAttempts wrong guesses are tested against a code (20
// concurrent wrong tries leave Attempts at exactly 5). A failed condition returns the
// stored item with the error (ReturnValuesOnConditionCheckFailure ALL_OLD), which tells
// the cases apart without another read: absent, expired, used or dead is EBADCODE; a live
// code is a match, confirmed in constant time, that counts no attempt (so any number of
// concurrent requests holding the right code get through to the final write) and uses
// nothing. The use is part of the route's final transaction (RegisterUser,
// ResetPassword): SET Used = true on condition "live AND CodeHash = :h", so of concurrent
// users of a code exactly one commits. CountAndPutCode stores the code with the id of the
// phone's user, which TryCode returns, so a reset needs no lookup of the phone. A code
// item written before the store recorded the user id names no user; the caller then
// looks the phone up.
//
// CountAndPutCode reads the rate-limit counters and the phone item in one BatchGetItem and
// writes the counters it is asked to count with the code in one TransactWriteItems, each
// counter on condition that it is as read (absent, or N and WindowEnd unchanged): two
// requests that read the same value cannot both count from it; the loser reads again (a
// round is lost only to a request that counted on the same counter; 8 rounds at most).
//
// The use's comparison CodeHash = :h runs inside DynamoDB and is not constant-time.
// That is harmless: it compares the SHA-256 (hex) of a random code, and the time a
// comparison of hashes takes says nothing about the code that would match.
//
// # Identity claims
//
// An identity item keeps one ID number (personal) or registration number (company) from
// being APPROVED on two accounts. It is written only by Transition, in the transition's
// own TransactWriteItems: approving an account with a non-empty IDNumber Puts
// IDENTITY#<type>#<h(number)> with the account's id on condition "attribute_not_exists(PK) OR
// AccountID = <this account>". If that item alone fails its condition (the cancellation
// reasons name the failed item), another account holds the identity: ECONFLICT "identity
// already verified on another account", and nothing of the transition is written. Of
// concurrent approvals of one identity exactly one commits. Leaving APPROVED, or changing
// type or number while APPROVED, Deletes the claim of the stored identity on the same
// condition; should another account hold it (only data approved before claims existed),
// the transaction is sent again without the Delete. IdentityOwner is one strongly
// consistent GetItem of the claim. The key holds the number's keyed hash, as the phone
// item's does the phone's, so that no key holds the number itself.
//
// # Global secondary indexes (both sparse, projection ALL)
//
//	GSIPending    PendingPK = PENDING#<type>     PendingSK = <submittedAt>#<accountID>
//	              PendingPK = PENDING#qualification  PendingSK = <submittedAt>#<certificateID> (qualifications.go)
//	GSISubmitted  SubmittedPK = SUBMITTED        SubmittedSK = <submittedAt>#<accountID>
//
// Only an account in PENDING_REVIEW carries PendingPK/PendingSK, and only one in SUBMITTED
// carries SubmittedPK/SubmittedSK: every write of an account is a whole-item Put, so the
// attributes appear and disappear with the state and each index holds exactly the work
// list it serves, plus, in GSIPending, the type's pendingCount item, which every
// transition into or out of PENDING_REVIEW updates in the same TransactWriteItems and
// which sits at PendingSK = !COUNT, before every account. ListPending's first page is
// therefore one Query (oldest first) that returns the count with the accounts; a later
// page starts after the counter and takes the count from its cursor (the listing's total
// is the count when it began). ListSubmittedBefore is one Query on GSISubmitted with
// SubmittedSK < <t>. GSISubmitted has a single partition: SUBMITTED is a short-lived state
// (the review worker moves accounts on within seconds), so the partition stays small and
// far below the per-partition write limit.
//
// # Version and TTL
//
// Users and accounts carry a numeric Version (AttrVersion). Every change is conditional on
// the version the caller read (and, for a transition, on the state), and writes
// Version+1; a failed condition returns the stored item (ReturnValuesOnConditionCheckFailure
// ALL_OLD), which tells a missing item (ENOTFOUND) from one that moved on (ECONFLICT).
//
// Sessions, sessionRefs, counters, codes and uploads carry TTLAttribute (epoch seconds, rounded up
// so the item never goes before it expires) so DynamoDB eventually deletes them. Deletion
// can lag by up to two days and emulators never delete, so every read also compares the
// exact expiry with the caller's clock.
//
// # Calls per operation
//
// CreateUser, UpdateUser, GetUser, GetAccount, PutSession, GetSession, AppendAudit,
// Counter, PutUpload, GetUpload, IdentityOwner, Ping: one call. Transition: one,
// claim and release included (two if a pending account's type, or an APPROVED account's
// type or number, changes in the same transition; see Store.Transition). GetUserByPhone: two GetItems (phone, then user, both
// strongly consistent). GetUserAndAccount: one BatchGetItem. GetAccountAndAudit and
// GetAccountAndProfiles: one Query per 1 MB (a Transition that writes a profile version
// does so in its own transaction, no extra call). ListPending: one Query per page (the total comes with the first page,
// then in the cursor). AppendAuditLive, AppendActorAuditLive: one TransactWriteItems (the
// session's ConditionCheck and the record). SealToken, OpenToken: none. DeleteSession: two
// (delete with ALL_OLD, then its sessionRef). Incr: one, two (a failed add, a reset) when
// the window has ended but TTL has not removed its item. ListAudit and
// ListSubmittedBefore: one Query per 1 MB page. Transactions cancelled only by a
// TransactionConflict (another transaction touching the same item, e.g. the shared
// pending counter) are retried a few times with jitter.
//
// The user routes' combined methods: PhoneAndCounter, one BatchGetItem. TryCode, one
// UpdateItem whatever the outcome. RegisterUser and OpenSession, one TransactWriteItems.
// CountAndPutCode, one BatchGetItem plus one TransactWriteItems (none when decide asks for
// nothing), again for each round lost to a concurrent request. ChangeUser and
// ResetPassword, one Query plus one TransactWriteItems (none when nothing changes), plus
// one BatchWriteItem per 12 sessions beyond the 49 that fit the transaction, again for
// each round lost to a concurrent change or login. So a user route's success costs,
// counting the auth middleware's GetSession: sms-code 2 (CountAndPutCode; before, 5, and 7
// for a reset), register 2 (TryCode, RegisterUser; before, 5), login 3 (Reserve,
// GetLoginByPhone: the phone, the user and the account in one BatchGetItem since the ids
// are derived from the phone (UserIDsForPhone), OpenSessionReleasing; 4 with the rare
// rehash's UpdateUser, and 4-5 for a user made with other ids; before, 5), me 2, logout 3, password reset 3 (TryCode,
// ResetPassword; before, 7), role change 3 (GetSession, ChangeUser; before, 5). pkg/users'
// TestRouteCalls counts them with a counting client.
//
// The document routes' combined methods: GetAccountAndUploads, one BatchGetItem of the
// account and the upload records (keys deduplicated; one call for up to 99 keys, one more
// per further 100). SetUserPortrait, one UpdateItem on condition that the user exists:
// it is the one write of a user not conditional on the version read, since it reads
// nothing first, but it adds one to Version, so every writer that is conditional on it
// reads again after it; UPDATED_OLD returns the replaced portrait. So a document route's
// success costs, counting the auth middleware's GetSession: upload grant 3 (GetAccount,
// PutUpload), portrait 3 (GetUpload, SetUserPortrait; before, 6), uploadPersonalLicence
// and uploadCompanyLicense 3 (GetAccountAndUploads, Transition; before, 5 with upload
// keys), account 2, a document download 2 (3 for a reviewer's, which is audited), the
// confirmation sample 1. pkg/submission's TestOperationCalls counts them with a
// counting client.
//
// An enterprise change (seed 002) is the item ACCOUNT#<id> / CHANGE beside the account.
// GetAccountChangeAndUploads adds it to GetAccountAndUploads' BatchGetItem, and
// GetAccountChangeAndAudit decodes it from GetAccountAndAudit's Query of the partition;
// PutChange and DecideChange are one TransactWriteItems each. So the enterprise-change
// route costs 3 (GetSession, GetAccountChangeAndUploads, PutChange), and a reviewer's
// approval or rejection 3 whether it decides an application or a change (GetSession, the
// account with its change in one BatchGetItem, then Transition or DecideChange; the
// approval of a change names the personal identity it releases in its Transition, so
// the first write is the right one).
//
// Identity factors (issue 14): a factor is an item of the account's partition like an
// audit record, so GetAccountAndFactors is one Query of the partition (filtered to the
// account and its factors). RecordFactor is one TransactWriteItems: the factor's Put, the
// releases of reservations, and either a transition's items (Transition's, outbox event
// included) or a ConditionCheck that the account exists. ReserveLive is Reserve's
// TransactWriteItems with a ConditionCheck of the caller's session. So the two-factor
// check costs 2 (ReserveLive, RecordFactor), 3 when its match approves the account
// (GetAccount in between), 2 on a provider outage (ReleaseLimits instead); the view 2
// (GetSession, GetAccountAndFactors). The review worker writes a factor in its verdict's
// transaction: no extra call.
// The qualification certificates (qualifications.go): GetAccountUploadAndQualification,
// one BatchGetItem; PutQualification and DecideQualification, one TransactWriteItems
// each; GetQualification and GetCurrentQualification, one GetItem; ListPendingQualifications,
// one Query per page as ListPending. So the submission costs 3, the user's read 2, the
// reviewers' list 2 (with its audit write) and a decision 3.
//
// The review worker's methods: BeginCheck, one UpdateItem of the account item that
// counts the attempt (attributes CheckAttempts, CheckFailures, which the next Put of the
// account drops) and returns the account; CheckInputs, one BatchGetItem of the identity
// claim and a company's current profile version; then Transition: 3 a message (4 when an
// attempt fails without a verdict and EndCheckWithoutVerdict counts it).
package dynamo
