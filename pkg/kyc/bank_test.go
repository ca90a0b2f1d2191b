package kyc

import (
	"testing"
	"time"
)

func TestBankRequiredApprovalInEitherOrder(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	reviewer := Actor{ID: "reviewer-1", Role: RoleReviewer}
	pending := Account{ID: "acct-1", OwnerKind: OwnerIntegrator, OwnerID: "rnk_app", Type: CompanyAccount, IDNumber: "91350100M000100Y43",
		State: StatePendingReview, BankRequired: true, Version: 4}

	// Reviewer first: the approval is kept, the account waits.
	t1, err := ApproveReviewed(pending, reviewer, at)
	if err != nil {
		t.Fatal(err)
	}
	if t1.Account.State != StatePendingReview || !t1.Account.ReviewApproved || t1.Audit.Action != ActionApproveAwaitingBank || t1.FromVersion != 4 {
		t.Fatalf("reviewer first: %+v", t1)
	}
	waiting := t1.Account
	waiting.Version = 5
	if _, err := ApproveReviewed(waiting, reviewer, at); !IsCode(err, ECONFLICT) {
		t.Fatalf("second approval while waiting: %v, want ECONFLICT", err)
	}
	t2, changed := RecordBankVerified(waiting, at)
	if !changed || t2.Account.State != StateApproved || !t2.Account.BankVerified || t2.Account.ReviewApproved || t2.FromVersion != 5 || !t2.WantSeal {
		t.Fatalf("bank second: changed %v %+v", changed, t2)
	}
	if _, changed := RecordBankVerified(t2.Account, at); changed {
		t.Fatal("recording the bank verdict twice changed the account")
	}

	// Bank first: the verdict is kept, the reviewer's approval approves.
	t3, changed := RecordBankVerified(pending, at)
	if !changed || t3.Account.State != StatePendingReview || !t3.Account.BankVerified || t3.Audit.Action != ActionBankVerified {
		t.Fatalf("bank first: %+v", t3)
	}
	t4, err := ApproveReviewed(t3.Account, reviewer, at)
	if err != nil || t4.Account.State != StateApproved || t4.Audit.Action != ActionApprove {
		t.Fatalf("reviewer second: %v %+v", err, t4)
	}

	// A rejection decides alone and forgets the reviewer's earlier approval.
	t5, err := Reject(waiting, reviewer, at, Rejection{Reason: "licence expired", Type: RejectRetry})
	if err != nil || t5.Account.State != StateRejected || t5.Account.ReviewApproved {
		t.Fatalf("reject while waiting: %v %+v", err, t5)
	}

	// Without the requirement the reviewer's approval is the whole decision.
	plain := pending
	plain.BankRequired = false
	t6, err := ApproveReviewed(plain, reviewer, at)
	if err != nil || t6.Account.State != StateApproved {
		t.Fatalf("no bank required: %v %+v", err, t6)
	}
	// Nor does the bank verdict approve an account nobody reviewed.
	t7, _ := RecordBankVerified(plain, at)
	if t7.Account.State != StatePendingReview {
		t.Fatalf("bank verdict without review approved: %+v", t7.Account)
	}
}

func TestResubmissionKeepsBankVerdictOnlyForTheSameName(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	rejected := Account{ID: "acct-1", Type: CompanyAccount, Organization: "甲公司", State: StateRejected, RejectType: RejectRetry,
		BankRequired: true, BankVerified: true, Attempts: 1}
	docs := map[string]Document{}
	for _, s := range RequiredSlots(CompanyAccount) {
		docs[s] = Document{Slot: s, Key: "k/" + s}
	}
	same, err := Submit(rejected, Submission{Type: CompanyAccount, Organization: "甲公司", Documents: docs}, Actor{ID: "u"}, at, 5)
	if err != nil || !same.Account.BankVerified {
		t.Fatalf("same name: %v bank verified %v", err, same.Account.BankVerified)
	}
	renamed, err := Submit(rejected, Submission{Type: CompanyAccount, Organization: "乙公司", Documents: docs}, Actor{ID: "u"}, at, 5)
	if err != nil || renamed.Account.BankVerified {
		t.Fatalf("renamed: %v bank verified %v", err, renamed.Account.BankVerified)
	}
}
