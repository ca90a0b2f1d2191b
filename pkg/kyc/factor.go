package kyc

import (
	"context"
	"errors"
	"time"
)

// Identity factors (DOMAIN.md "Factors"): a check of a person's name and ID number (two
// factors), with their mobile (three), or a bank micro-payment, by an outside provider.
// Each answered check is recorded on the account as a Factor; the values checked are
// kept on the record for the owner's masked view and never logged.

// Kinds of factor check (Factor.Kind). The kind is a string so that a new check (the
// bank micro-payment) is recorded without a change here.
const (
	FactorTwo   = "two_factor"
	FactorThree = "three_factor"
)

// FactorResult is the verdict of an answered check.
type FactorResult string

const (
	FactorMatch    FactorResult = "match"
	FactorMismatch FactorResult = "mismatch"
)

// Factor is one answered identity-factor check of an account. Name and IDNumber are the
// values checked (personal information: shown to the owner masked, never logged, never
// in an event); Reason is the provider's machine-readable reason of a mismatch
// ("name_id_mismatch").
type Factor struct {
	AccountID string
	Kind      string
	Result    FactorResult
	Provider  string
	Reason    string
	At        time.Time
	Name      string
	IDNumber  string
}

// FactorRecord is what RecordFactor writes in one atomic write: the factor, and
// optionally the transition it decides (a two-factor match approving a personal account
// under VERIFY_POLICY=factors, or the review worker's verdict) and the reservations it
// gives back (a check that did not fail does not count against the daily limit).
type FactorRecord struct {
	Factor     Factor
	Transition *Transition
	Release    []Limit
	ReservedAt time.Time
}

// FactorStore keeps factors in the account's partition, beside its audit trail, so that
// a read of the account returns them in the same query.
type FactorStore interface {
	// RecordFactor writes r in one atomic write: the factor, the transition if any (with
	// everything Store.Transition writes with it: audit, identity claim, outbox event),
	// and the releases. The transition's refusals are Store.Transition's (ECONFLICT,
	// ENOTFOUND), nothing written then. It returns the account as written (the zero
	// account without a transition).
	RecordFactor(ctx context.Context, r FactorRecord) (Account, error)
	// GetAccountAndFactors reads the account and its factors, oldest first, in one
	// strongly consistent read; ENOTFOUND when there is no such account.
	GetAccountAndFactors(ctx context.Context, accountID string) (Account, []Factor, error)
	// ReserveLive is Reserve on the condition that live's session is live, in the same
	// atomic write: EUNAUTHORIZED if it has ended (nothing counted), ETOOMANY if a limit
	// is full.
	ReserveLive(ctx context.Context, live LiveSession, limits []Limit, now time.Time) error
	// ReleaseLimits gives back one reservation of each limit made at reservedAt.
	ReleaseLimits(ctx context.Context, release []Limit, reservedAt time.Time) error
}

// The identity provider port: checks a person's factors with an outside provider.
// pkg/identity has the adapters (a deterministic sandbox and a vendor's HTTP API).

// IdentityFactors are the values a check compares. Mobile is empty for a two-factor check.
type IdentityFactors struct {
	Name     string
	IDNumber string
	Mobile   string
}

// Kind names the check the factors make: FactorTwo (name + ID number) or FactorThree.
func (f IdentityFactors) Kind() string {
	if f.Mobile == "" {
		return FactorTwo
	}
	return FactorThree
}

// IdentityAnswer is a provider's verdict: the result, the provider's name for the factor
// record and, for a mismatch, a machine-readable reason.
type IdentityAnswer struct {
	Result   FactorResult
	Provider string
	Reason   string
}

// ErrIdentityUnavailable is a provider that could not answer (down, timing out, refusing
// our credentials, answering nonsense): the factors were not judged, so no failed check
// is recorded; an HTTP caller answers 503 / 1050.
var ErrIdentityUnavailable = errors.New("identity: provider unavailable")

// IdentityProvider checks factors. Implementations never log or return the values.
type IdentityProvider interface {
	Check(ctx context.Context, f IdentityFactors) (IdentityAnswer, error)
}

// BeijingOffset is the offset of China Standard Time (UTC+8, no daylight saving): the
// daily limits of identity checks count Beijing days (API.md).
const BeijingOffset = 8 * time.Hour

// MaxFailedChecksPerDay is how many failed two-factor checks an account may have in a
// Beijing day; the next check is ETOOMANY (API.md, seed 003).
const MaxFailedChecksPerDay = 5

// FailedChecksLimit is the daily limit of failed factor checks of kind on an account:
// a check reserves against it before it asks the provider, keeps the reservation if the
// answer is a mismatch and gives it back otherwise.
func FailedChecksLimit(accountID, kind string) Limit {
	return Limit{Key: "factorfail#" + kind + "#" + accountID, Max: MaxFailedChecksPerDay, Window: 24 * time.Hour, Offset: BeijingOffset}
}

// ActionApproveFactors is the audit action of an approval by a two-factor match
// (VERIFY_POLICY=factors); the actor is the system.
const ActionApproveFactors = "approve_factors"

// MayApproveByFactors reports whether a two-factor match approves a at once under
// VERIFY_POLICY=factors: a personal account that has not submitted or was rejected with
// RETRY. One under review, approved or rejected for good keeps its course.
func MayApproveByFactors(a Account) bool {
	if a.Type != PersonalAccount && a.TypeFixed() {
		return false // a company's account, or one that submitted as a company
	}
	return a.State == StateUnverified || a.State == StateRejected && a.RejectType == RejectRetry
}

// ApproveByFactors approves a, a personal account MayApproveByFactors admits, for the
// two-factor match of name and idNumber: its holder's name and ID number become the
// checked ones (the identity the approval claims). ECONFLICT for any other account.
func ApproveByFactors(a Account, name, idNumber string, at time.Time) (Transition, error) {
	if !MayApproveByFactors(a) {
		return Transition{}, Errorf(ECONFLICT, "the account is a %s %s: a factor check does not approve it", a.State, a.Type)
	}
	next := a
	next.Type, next.Name, next.Organization, next.IDNumber = PersonalAccount, name, "", idNumber
	next.State, next.RejectType, next.Reasons, next.ReuploadSlots = StateApproved, "", nil, nil
	next.UpdatedAt = at
	return transition(a, next, AuditRecord{At: at, Actor: ActorSystem, Action: ActionApproveFactors, Reason: FactorTwo}), nil
}
