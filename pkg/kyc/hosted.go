package kyc

import "time"

// Hosted verification (DOMAIN.md "Hosted verification", issue 14): an integrator starts a
// three-factor verification of one of its person accounts; the person opens a single-use
// link, proves the mobile with an SMS code, and the identity provider checks name, ID
// number and mobile. PENDING -> VERIFIED | FAILED; EXPIRED is PENDING past its 24 hours
// (computed when read, never written, so no sweeper is needed).

// HostedStatus is a hosted verification's state.
type HostedStatus string

const (
	HostedPending  HostedStatus = "PENDING"
	HostedVerified HostedStatus = "VERIFIED"
	HostedFailed   HostedStatus = "FAILED"
	HostedExpired  HostedStatus = "EXPIRED"
)

// Limits of a hosted verification.
const (
	HostedTTL = 24 * time.Hour
	// HostedMaxWrongCodes wrong codes fail the verification (DOMAIN.md).
	HostedMaxWrongCodes = 5
	// HostedMaxCodes codes may be sent per verification, one per HostedCodeEvery.
	HostedMaxCodes  = 5
	HostedCodeEvery = time.Minute
	HostedCodeTTL   = 5 * time.Minute
	// HostedLease is how long a confirmation holds the verification while the provider
	// answers: a second confirmation meanwhile is refused, and a crashed one frees it
	// after this long.
	HostedLease = 30 * time.Second
)

// Reasons of a FAILED verification besides the provider's mismatch reasons.
const HostedReasonTooManyCodes = "too_many_codes"

// HostedVerification is one hosted verification. Name, IDNumber and Mobile are the values
// the integrator sent (personal information: never logged, never in an event); the ticket
// of its link is kept only as TicketHash, whose first bytes are also the id (see
// pkg/hosted).
type HostedVerification struct {
	ID         string
	TicketHash string
	App        string
	AccountID  string
	Name       string
	IDNumber   string
	Mobile     string
	ReturnURL  string
	Status     HostedStatus
	Reason     string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	FinishedAt time.Time

	CodeHash      string
	CodeExpiresAt time.Time
	LastCodeAt    time.Time
	CodesSent     int
	WrongCodes    int

	Lease      string
	LeaseUntil time.Time
}

// StatusAt is the status as seen at now: a PENDING verification past its expiry is
// EXPIRED.
func (v HostedVerification) StatusAt(now time.Time) HostedStatus {
	if v.Status == HostedPending && !now.Before(v.ExpiresAt) {
		return HostedExpired
	}
	return v.Status
}

// HostedFinish is what ends a hosted verification in one atomic write: the verification
// (held by Lease) becomes Status with Reason, the factor is recorded, and, for a match
// that approves the account, the transition with its audit, identity claim and event;
// the verification.completed event is written to the outbox in the same write.
type HostedFinish struct {
	Verification HostedVerification
	Lease        string
	Factor       Factor
	Transition   *Transition
}

// ActionApproveThreeFactors is the audit action of an integrator person account's
// approval by a three-factor verification; the actor is the system.
const ActionApproveThreeFactors = "approve_three_factor"

// MayApproveByThreeFactors reports whether a three-factor match approves a: an
// integrator's personal account that has not submitted or was rejected with RETRY.
func MayApproveByThreeFactors(a Account) bool {
	return a.OwnerKind == OwnerIntegrator && a.Type == PersonalAccount &&
		(a.State == StateUnverified || a.State == StateRejected && a.RejectType == RejectRetry)
}

// ApproveByThreeFactors approves a for a three-factor match at at: the account's own
// name and ID number are the ones checked (the verification refuses others).
func ApproveByThreeFactors(a Account, at time.Time) (Transition, error) {
	if !MayApproveByThreeFactors(a) {
		return Transition{}, Errorf(ECONFLICT, "the account is a %s %s: a three-factor verification does not approve it", a.State, a.Type)
	}
	next := a
	next.State, next.RejectType, next.Reasons, next.ReuploadSlots = StateApproved, "", nil, nil
	next.UpdatedAt = at
	return transition(a, next, AuditRecord{At: at, Actor: ActorSystem, Action: ActionApproveThreeFactors, Reason: FactorThree}), nil
}
