package bankverify

import (
	"errors"
	"strconv"
	"time"

	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// Status is where a bank verification stands.
type Status string

const (
	StatusPaid     Status = "PAID"     // the amount was sent; waiting for the answer
	StatusVerified Status = "VERIFIED" // the right amount was told back
	StatusFailed   Status = "FAILED"   // MaxWrongAnswers wrong amounts; a new verification is needed
	StatusExpired  Status = "EXPIRED"  // Lifetime passed without the right amount
)

// Terminal reports whether s is a final state (the bank_verification.completed event).
func (s Status) Terminal() bool {
	return s == StatusVerified || s == StatusFailed || s == StatusExpired
}

// Rules of DOMAIN.md and issue 15.
const (
	MaxWrongAnswers = 3
	Lifetime        = 7 * 24 * time.Hour
	NewPerDay       = 3
)

// EEXPIRED is the error code of an answer after Lifetime: 410 / 1026 in API.md. It is
// kyc.EGONE, the domain's one code for "expired or used up", so the HTTP layer maps it in
// the one place it maps the others (httpapi.ErrorStatus) and no second code stands for
// the same answer.
const EEXPIRED = kyc.EGONE

// ReasonAmountMismatch is the reason of a wrong answer (422 / 1012).
const ReasonAmountMismatch = "amount_mismatch"

// EventCompleted is the webhook event of a verification reaching a terminal state.
const EventCompleted = "bank_verification.completed"

// Verification is one micro-payment verification of an account's bank account: what the
// store keeps. The amount itself is never here, only AmountHash; the account number only
// masked (AccountNoMasked, "****1234"), enough for the owner to recognise it.
type Verification struct {
	ID              string // also the payout's idempotency key
	AccountID       string
	AccountName     string // the company's name, as the bank account holds it
	AccountNoMasked string
	BankName        string
	Branch          string
	AmountHash      string
	Status          Status
	Wrong           int // wrong answers so far
	CreatedAt       time.Time
	ExpiresAt       time.Time
	DecidedAt       time.Time // when it became VERIFIED, FAILED or EXPIRED; zero while PAID
	Version         int64     // 1 when created; each change adds one; the store's condition
}

// New is the verification of a payout of amount for r (as ParseRequest returned it) to
// account accountID, made at now, under the server's amount secret. It is PAID: the
// caller stores it once the payout was accepted (or its outcome is unknown).
func New(id, accountID string, r Request, amount Amount, secret []byte, now time.Time) (Verification, error) {
	if id == "" || accountID == "" {
		return Verification{}, errors.New("bankverify: verification and account ids are required")
	}
	if amount < MinFen || amount > MaxFen {
		return Verification{}, errors.New("bankverify: amount out of range")
	}
	hash, err := HashAmount(secret, id, amount)
	if err != nil {
		return Verification{}, err
	}
	return Verification{
		ID: id, AccountID: accountID, AccountName: r.AccountName, AccountNoMasked: maskAccountNo(r.AccountNo),
		BankName: r.BankName, Branch: r.Branch, AmountHash: hash, Status: StatusPaid,
		CreatedAt: now, ExpiresAt: now.Add(Lifetime), Version: 1,
	}, nil
}

func maskAccountNo(no string) string {
	if len(no) <= 4 {
		return "****"
	}
	return "****" + no[len(no)-4:]
}

// StatusAt is v's status as a reader should see it at now: a PAID verification past its
// expiry is EXPIRED even if no answer came to record it.
func (v Verification) StatusAt(now time.Time) Status {
	if v.Status == StatusPaid && !now.Before(v.ExpiresAt) {
		return StatusExpired
	}
	return v.Status
}

// Remaining is how many answers v still takes.
func (v Verification) Remaining() int {
	if v.Status != StatusPaid {
		return 0
	}
	return max(MaxWrongAnswers-v.Wrong, 0)
}

// MayStart decides whether an account registered as companyName, whose latest
// verification is latest (the zero value if it has none), may start a new one: not once
// VERIFIED under that name (ECONFLICT), since the account's bank account is proven;
// otherwise yes, and the new one replaces a PAID one (bank details typed wrong, a payout
// that never arrived) or one VERIFIED under a name the company no longer has (a
// re-application under another name proves its bank account anew). The daily limit is
// the caller's reservation of DailyLimit.
func MayStart(latest Verification, companyName string) error {
	if latest.Status == StatusVerified && latest.VerifiesName(companyName) {
		return kyc.Errorf(kyc.ECONFLICT, "The bank account is verified already.")
	}
	return nil
}

// VerifiesName reports whether v was made for an account holder named companyName, both
// normalised as ParseRequest does: a VERIFIED verification proves a bank account under
// that name only.
func (v Verification) VerifiesName(companyName string) bool {
	name, err := idcheck.CompanyName(companyName)
	return err == nil && v.AccountName == name
}

// DailyLimit is the limit of new verifications of an account: NewPerDay a Beijing day.
func DailyLimit(accountID string) kyc.Limit {
	return kyc.Limit{Key: "bankverify#" + accountID, Max: NewPerDay, Window: 24 * time.Hour, Offset: kyc.BeijingOffset}
}

// PayoutRefused is the error of a payout the bank or provider refused, with its reason
// (pkg/payout's, e.g. account_name_mismatch, account_closed): 422 / 1012, nothing stored.
func PayoutRefused(reason string) error {
	if reason == "" {
		reason = "refused"
	}
	return &kyc.Error{Code: kyc.EVERIFY, Reason: reason, Message: "The bank refused the payment to this account."}
}

// Confirm judges answer to v at now. It returns next, what the store must write
// (conditional on v.Version) whenever next.Version != v.Version, and the error to answer,
// which may come with a change to write:
//
//   - the right amount while PAID: VERIFIED, nil;
//   - a wrong amount while PAID: one try spent, EVERIFY (422 / 1012) with reason
//     amount_mismatch and data remaining; the MaxWrongAnswers-th makes it FAILED;
//   - at or after ExpiresAt while PAID: EXPIRED and EEXPIRED (410 / 1026), right or not;
//   - EXPIRED: EEXPIRED, nothing to write;
//   - FAILED: ECONFLICT, a new verification is needed;
//   - VERIFIED: nil again for the right amount (a client retrying a lost answer), else
//     ECONFLICT; nothing to write.
func Confirm(v Verification, answer Amount, secret []byte, now time.Time) (Verification, error) {
	switch v.Status {
	case StatusVerified:
		if AmountMatches(secret, v.ID, v.AmountHash, answer) {
			return v, nil
		}
		return v, kyc.Errorf(kyc.ECONFLICT, "The bank account is verified already.")
	case StatusFailed:
		return v, kyc.Errorf(kyc.ECONFLICT, "This verification failed after %d wrong amounts; start a new one.", MaxWrongAnswers)
	case StatusExpired:
		return v, expired()
	case StatusPaid:
	default:
		return v, errors.New("bankverify: verification in an unknown state")
	}
	next := v
	next.Version++
	if !now.Before(v.ExpiresAt) {
		next.Status, next.DecidedAt = StatusExpired, now
		return next, expired()
	}
	if AmountMatches(secret, v.ID, v.AmountHash, answer) {
		next.Status, next.DecidedAt = StatusVerified, now
		return next, nil
	}
	next.Wrong++
	if next.Wrong >= MaxWrongAnswers {
		next.Status, next.DecidedAt = StatusFailed, now
	}
	msg := "The amount is not the one paid."
	if next.Status == StatusFailed {
		msg = "The amount is not the one paid; this verification has failed, start a new one."
	}
	return next, &kyc.Error{Code: kyc.EVERIFY, Reason: ReasonAmountMismatch, Message: msg,
		Data: map[string]string{"reason": ReasonAmountMismatch, "remaining": strconv.Itoa(next.Remaining())}}
}

func expired() error {
	return kyc.Errorf(EEXPIRED, "This bank verification has expired; start a new one.")
}

// EventData is the data of v's EventCompleted event: ids and the state only (API.md:
// no personal data, so neither the bank details nor the amount).
func EventData(v Verification) map[string]string {
	return map[string]string{"account_id": v.AccountID, "verification_id": v.ID, "status": string(v.Status)}
}
