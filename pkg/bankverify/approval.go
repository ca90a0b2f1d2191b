package bankverify

import "github.com/realname-kyc/realname/pkg/kyc"

// Review is the reviewer's decision on a company account, as far as it has gone.
type Review string

const (
	ReviewPending  Review = ""         // no decision yet
	ReviewApproved Review = "APPROVED" // the documents are right
	ReviewRejected Review = "REJECTED"
)

// Outcome is what the two verdicts together decide for the account.
type Outcome string

const (
	Wait    Outcome = "wait"    // one verdict is still missing: the account stays where it is
	Approve Outcome = "approve" // both say yes: APPROVED
	Reject  Outcome = "reject"  // the reviewer said no: REJECTED
)

// Combine is the rule of API.md for company accounts: a reviewer's rejection decides
// alone; an approval needs the reviewer and, when bankRequired (always for an
// integrator's company, for an app user's only under REQUIRE_BANK_VERIFICATION), a
// VERIFIED bank verification, whichever comes second. A FAILED or EXPIRED bank
// verification is not a rejection: the company may start another, so the account waits.
func Combine(review Review, bank Status, bankRequired bool) Outcome {
	switch {
	case review == ReviewRejected:
		return Reject
	case review == ReviewApproved && (bank == StatusVerified || !bankRequired):
		return Approve
	}
	return Wait
}

// NextState is the account's state once the verdicts are review and bank, from current;
// changed is false when nothing is to be written. Only PENDING_REVIEW moves: an account
// still SUBMITTED has not passed its automatic checks, and a decided one stays decided.
//
// Both verdicts may arrive at once (a reviewer approving as the company confirms its
// amount). Each writer records its own verdict and then calls NextState on what it read;
// the write of the new state must be conditional on the account still being
// PENDING_REVIEW at the version read, with both verdicts as read, so that exactly one of
// the two writes approves and the other finds the account APPROVED (no second approval,
// no second account.approved event). A writer whose condition fails reads again and calls
// NextState again, which then answers changed == false.
func NextState(current kyc.State, review Review, bank Status, bankRequired bool) (next kyc.State, changed bool) {
	if current != kyc.StatePendingReview {
		return current, false
	}
	switch Combine(review, bank, bankRequired) {
	case Approve:
		return kyc.StateApproved, true
	case Reject:
		return kyc.StateRejected, true
	}
	return current, false
}
