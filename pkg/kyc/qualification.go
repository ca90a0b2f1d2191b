package kyc

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// QualificationState is where a qualification certificate (seed 003's 从业资格证) stands.
// A certificate is reviewed by hand and on its own: PENDING -> APPROVED | REJECTED, and
// neither the submission nor the decision changes the account's verification state.
type QualificationState string

const (
	QualificationPending  QualificationState = "PENDING"
	QualificationApproved QualificationState = "APPROVED"
	QualificationRejected QualificationState = "REJECTED"
)

// Audit actions of qualification certificates, in the account's trail (From and To are
// QualificationStates there, not account states).
const (
	ActionQualificationSubmit = "qualification_submit"
	ActionQualificationDecide = "qualification_decide"
)

// SlotQualification is the document slot of a certificate (DOMAIN.md: jpeg, png or pdf,
// 10 MB, any account).
const SlotQualification = "qualification"

// Qualification limits (DOMAIN.md is silent; decided here, README "Qualification
// certificates"):
//   - one certificate PENDING per account at a time: a second while one waits is
//     ECONFLICT "already under review", as a second account submission is;
//   - at most QualificationsPerDay accepted submissions per account per UTC day (refusals
//     are not counted), the project's five attempts (MAX_ATTEMPTS, failed identity checks
//     a day) again: with one pending at a time, the day's limit only bounds a user whose
//     certificates reviewers keep rejecting within the day.
const QualificationsPerDay = 5

// QualificationLimit is the rate limit of an account's qualification submissions.
func QualificationLimit(accountID string) Limit {
	return Limit{Key: "qualifications:" + accountID, Max: QualificationsPerDay, Window: 24 * time.Hour}
}

// Qualification is one qualification certificate submitted by the owner of an account.
// Document is the picture, stored under a server-chosen key of the account.
type Qualification struct {
	ID          string
	AccountID   string
	UserID      string
	AccountType AccountType
	State       QualificationState
	Document    Document
	SubmittedAt time.Time
	DecidedAt   time.Time // zero while PENDING
	DecidedBy   string    // the reviewer's user id; "" while PENDING
	Reason      string    // the rejection's reason; "" otherwise
	Version     int64     // 1 when submitted, 2 once decided; the store's condition
}

// NewQualification is the PENDING certificate of the owner p of acct, with its picture d,
// and the audit record of its submission.
func NewQualification(id string, acct Account, p Principal, d Document, at time.Time, requestID string) (Qualification, AuditRecord) {
	q := Qualification{ID: id, AccountID: acct.ID, UserID: p.UserID, AccountType: acct.Type, State: QualificationPending,
		Document: d, SubmittedAt: at, Version: 1}
	return q, AuditRecord{AccountID: acct.ID, At: at, Actor: p.UserID, ActorRole: p.Role, Action: ActionQualificationSubmit,
		To: State(QualificationPending), RequestID: requestID}
}

// DecideQualification is a reviewer's decision on q: approve, or reject with reason
// (required, at most MaxReasonLength characters). It returns the decided certificate
// (Version+1, which the store writes only over q at q.Version, still PENDING) and the
// audit record of the decision. Deciding one's own certificate is EFORBIDDEN
// (maker-checker, as for accounts); a certificate decided already is ECONFLICT.
func DecideQualification(q Qualification, approve bool, reason string, by Actor, at time.Time) (Qualification, AuditRecord, error) {
	if by.ID != "" && (q.UserID == by.ID || (by.AccountID != "" && q.AccountID == by.AccountID)) {
		return Qualification{}, AuditRecord{}, Errorf(EFORBIDDEN, "nobody decides their own qualification certificate")
	}
	reason = strings.TrimSpace(reason)
	next := q
	next.State, next.Reason = QualificationApproved, ""
	if !approve {
		switch {
		case reason == "":
			return Qualification{}, AuditRecord{}, FieldError(EMISSING, "reason", "required")
		case utf8.RuneCountInString(reason) > MaxReasonLength:
			return Qualification{}, AuditRecord{}, FieldError(EINVALID, "reason", "must be at most "+strconv.Itoa(MaxReasonLength)+" characters")
		}
		next.State, next.Reason = QualificationRejected, reason
	}
	if q.State != QualificationPending {
		return Qualification{}, AuditRecord{}, Errorf(ECONFLICT, "the qualification certificate is %s already", q.State)
	}
	next.DecidedAt, next.DecidedBy, next.Version = at, by.ID, q.Version+1
	rec := AuditRecord{AccountID: q.AccountID, At: at, Actor: by.ID, ActorRole: by.Role, Action: ActionQualificationDecide,
		From: State(q.State), To: State(next.State), Reason: next.Reason, RequestID: by.RequestID}
	return next, rec, nil
}

// QualificationPage is one page of certificates awaiting review, oldest first.
type QualificationPage struct {
	Qualifications []Qualification
	NextCursor     string // "" on the last page
	Total          int64  // maintained count of PENDING certificates when the listing began
}
