package kyc

import "time"

// Actions of the two verdicts of a company that needs a bank verification (Account.
// BankRequired): the reviewer's approval recorded while the bank's is missing, and the
// bank verification's VERIFIED recorded on the account (which approves it when the
// reviewer's came first).
const (
	ActionApproveAwaitingBank = "approve_awaiting_bank"
	ActionBankVerified        = "bank_verified"
)

// ApproveReviewed is a reviewer's approval of a PENDING_REVIEW account. It is Approve,
// except for an account that needs a bank verification (BankRequired) and has no
// VERIFIED one yet: then the approval is recorded (ReviewApproved) and the account stays
// PENDING_REVIEW until RecordBankVerified approves it. A second approval while it waits
// is ECONFLICT, as a second approval of a decided account is; a rejection still decides
// (Reject clears the recorded approval).
//
// Both verdicts change the account item on condition of the version they read, so of a
// reviewer's approval and a bank confirmation at once exactly one write approves: the
// other fails its condition, reads again and finds the account APPROVED (or, for the
// bank, records the verdict on an account that now needs nothing more).
func ApproveReviewed(a Account, by Actor, at time.Time) (Transition, error) {
	t, err := Approve(a, by, at)
	if err != nil {
		return Transition{}, err
	}
	if a.ReviewApproved {
		return Transition{}, Errorf(ECONFLICT, "the account is approved by a reviewer already and waits for its bank verification")
	}
	if !a.BankRequired || a.BankVerified {
		return t, nil
	}
	next := a
	next.ReviewApproved, next.UpdatedAt = true, at
	return transition(a, next, AuditRecord{At: at, Actor: by.ID, ActorRole: by.Role, Action: ActionApproveAwaitingBank, RequestID: by.RequestID}), nil
}

// RecordBankVerified records on a that its bank verification is VERIFIED. A
// PENDING_REVIEW account the reviewer approved already (ReviewApproved) becomes APPROVED
// in the same transition; any other account only keeps the verdict (a SUBMITTED one not
// yet through its automated checks, a PENDING_REVIEW one not yet reviewed, a REJECTED one
// that may re-apply). changed is false when a holds the verdict already.
func RecordBankVerified(a Account, at time.Time) (t Transition, changed bool) {
	if a.BankVerified {
		return Transition{}, false
	}
	next := a
	next.BankVerified, next.UpdatedAt = true, at
	audit := AuditRecord{At: at, Actor: ActorSystem, Action: ActionBankVerified}
	if a.State == StatePendingReview && a.ReviewApproved {
		next.State, next.RejectType, next.Reasons, next.ReuploadSlots = StateApproved, "", nil, nil
		next.ReviewApproved = false
		t = transition(a, next, audit)
		t.WantSeal = WantsSeal(next)
		return t, true
	}
	return transition(a, next, audit), true
}
