package storetest

import (
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// approvedPersonal creates personal account n and approves it.
func approvedPersonal(t *testing.T, s kyc.Store, n int) kyc.Account {
	t.Helper()
	a := mustPending(t, s, create(t, s, n, kyc.PersonalAccount), 10)
	return mustApply(t, s, next(a, kyc.StateApproved, 20))
}

// newChange is a synthetic enterprise change of account a.
func newChange(a kyc.Account, number string) kyc.EnterpriseChange {
	return kyc.EnterpriseChange{
		AccountID: a.ID, CorpName: "Test Company " + a.ID, VerifiedNumber: number, OrganizationType: 1,
		RegCountry: "CN", RegAddress: "1 Test Road", LegalName: "Test Legal", LegalIDNumber: "test-id-legal",
		CertifierRole: "legalPerson", Attempts: 1, SubmittedAt: At(30), SubmittedBy: a.OwnerID,
		Documents: map[string]kyc.Document{"licence": {Slot: "licence", Key: "accounts/" + a.ID + "/licence/1",
			ContentType: "image/png", Size: 10, UploadedAt: At(30)}},
	}
}

// A stored change reads back whole with the account and uploads, and leaves the account
// as it was.
func testChangeRoundTrip(t *testing.T, s kyc.Store) {
	a := approvedPersonal(t, s, 1)
	_, none, _, err := s.GetAccountChangeAndUploads(t.Context(), a.ID, nil, At(30))
	if err != nil || none.AccountID != "" {
		t.Fatalf("GetAccountChangeAndUploads before a change: %+v, %v; want the zero change", none, err)
	}
	stored, err := s.PutChange(t.Context(), a, newChange(a, "test-uscc-1"))
	if err != nil {
		t.Fatalf("PutChange: %v", err)
	}
	want := newChange(a, "test-uscc-1")
	want.Pending, want.Version = true, 1
	wantSame(t, "PutChange", want, stored)
	acct, got, _, err := s.GetAccountChangeAndUploads(t.Context(), a.ID, nil, At(30))
	if err != nil {
		t.Fatalf("GetAccountChangeAndUploads: %v", err)
	}
	wantSame(t, "stored change", want, got)
	wantSame(t, "account after PutChange", a, acct)
	if got, err := s.GetChange(t.Context(), a.ID); err != nil {
		t.Errorf("GetChange: %v", err)
	} else {
		wantSame(t, "GetChange", want, got)
	}
	// The detail's read has the change too; the plain one is not disturbed by it.
	acct, got, trail, err := s.GetAccountChangeAndAudit(t.Context(), a.ID)
	if err != nil {
		t.Fatalf("GetAccountChangeAndAudit: %v", err)
	}
	wantSame(t, "GetAccountChangeAndAudit change", want, got)
	wantSame(t, "GetAccountChangeAndAudit account", a, acct)
	plain, plainTrail, err := s.GetAccountAndAudit(t.Context(), a.ID)
	if err != nil || len(plainTrail) != len(trail) || len(trail) == 0 {
		t.Errorf("GetAccountAndAudit beside a change: %d records, %v; want the %d of the trail", len(plainTrail), err, len(trail))
	}
	wantSame(t, "GetAccountAndAudit account", a, plain)
}

// No change is stored while one is pending, for an account that moved on, or for one that
// is not an APPROVED personal account.
func testChangeRefused(t *testing.T, s kyc.Store) {
	a := approvedPersonal(t, s, 1)
	first, err := s.PutChange(t.Context(), a, newChange(a, "test-uscc-1"))
	if err != nil {
		t.Fatalf("PutChange: %v", err)
	}
	again := newChange(a, "test-uscc-2")
	again.Version = first.Version
	_, err = s.PutChange(t.Context(), a, again)
	wantCode(t, "PutChange while one is pending", err, kyc.ECONFLICT)
	_, err = s.PutChange(t.Context(), a, newChange(a, "test-uscc-2"))
	wantCode(t, "PutChange over a change not read", err, kyc.ECONFLICT)

	b := create(t, s, 2, kyc.PersonalAccount)
	_, err = s.PutChange(t.Context(), b, newChange(b, "test-uscc-3"))
	wantCode(t, "PutChange of an unverified account", err, kyc.ECONFLICT)
	c := approvedPersonal(t, s, 3)
	stale := c
	stale.Version--
	_, err = s.PutChange(t.Context(), stale, newChange(c, "test-uscc-3"))
	wantCode(t, "PutChange of a stale account", err, kyc.ECONFLICT)
	if got, _ := s.GetChange(t.Context(), c.ID); got.AccountID != "" {
		t.Errorf("refused PutChange stored %+v", got)
	}
}

// Of concurrent changes of one account exactly one is stored.
func testChangeConcurrent(t *testing.T, s kyc.Store) {
	a := approvedPersonal(t, s, 1)
	errs := concurrently(4, func(int) error {
		_, err := s.PutChange(t.Context(), a, newChange(a, "test-uscc-1"))
		return err
	})
	if n := codes(errs)[""]; n != 1 {
		t.Errorf("concurrent PutChange: %d succeeded, want 1 (%v)", n, errs)
	}
}

// DecideChange approves: the account becomes an APPROVED company claiming the change's
// number, the personal claim is released, the change is no longer pending, and a second
// decision is refused.
func testChangeDecide(t *testing.T, s kyc.Store) {
	a := approvedPersonal(t, s, 1)
	c, err := s.PutChange(t.Context(), a, newChange(a, "test-uscc-1"))
	if err != nil {
		t.Fatalf("PutChange: %v", err)
	}
	tr := next(a, kyc.StateApproved, 40)
	tr.Account.Type, tr.Account.IDNumber, tr.Account.Organization = kyc.CompanyAccount, c.VerifiedNumber, c.CorpName
	got, err := s.DecideChange(t.Context(), tr, c)
	if err != nil {
		t.Fatalf("DecideChange: %v", err)
	}
	checkAccount(t, s, got)
	wantOwner(t, s, kyc.CompanyAccount, "test-uscc-1", a.ID)
	wantOwner(t, s, kyc.PersonalAccount, a.IDNumber, "")
	decided, err := s.GetChange(t.Context(), a.ID)
	if err != nil || decided.Pending || decided.Version != c.Version+1 {
		t.Errorf("change after DecideChange: %+v, %v; want not pending at version %d", decided, err, c.Version+1)
	}
	_, err = s.DecideChange(t.Context(), next(got, kyc.StateApproved, 41), c)
	wantCode(t, "second DecideChange", err, kyc.ECONFLICT)

	// A second company with the same number cannot be approved.
	b := approvedPersonal(t, s, 2)
	cb, err := s.PutChange(t.Context(), b, newChange(b, "test-uscc-1"))
	if err != nil {
		t.Fatalf("PutChange b: %v", err)
	}
	tb := next(b, kyc.StateApproved, 42)
	tb.Account.Type, tb.Account.IDNumber = kyc.CompanyAccount, cb.VerifiedNumber
	_, err = s.DecideChange(t.Context(), tb, cb)
	wantIdentityTaken(t, "DecideChange of a claimed number", err)
	if still, _ := s.GetChange(t.Context(), b.ID); !still.Pending {
		t.Errorf("refused DecideChange decided the change: %+v", still)
	}
	checkAccount(t, s, b)
}

// testChangeInCompanyQueue: a pending change waits in the company queue (the reviewers'
// company list and its count) as the company it asks to become, beside the company
// applications in submission order, through a cursor; deciding it takes it out.
func testChangeInCompanyQueue(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	applicant := create(t, s, 3, kyc.CompanyAccount)
	mustPending(t, s, applicant, 10)
	a := approvedPersonal(t, s, 1)
	c := newChange(a, "test-uscc-queue")
	c.SubmittedAt = At(20)
	c, err := s.PutChange(ctx, a, c)
	if err != nil {
		t.Fatalf("PutChange: %v", err)
	}
	first, err := s.ListPending(ctx, kyc.CompanyAccount, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if first.Total != 2 || len(first.Accounts) != 1 || first.Accounts[0].ID != applicant.ID || first.Changes[applicant.ID] || first.NextCursor == "" {
		t.Fatalf("first page %+v, want the application, a total of 2 and a cursor", first)
	}
	second, err := s.ListPending(ctx, kyc.CompanyAccount, 1, first.NextCursor)
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Accounts) != 1 || second.NextCursor != "" || !second.Changes[a.ID] {
		t.Fatalf("second page %+v, want the change and no cursor", second)
	}
	e := second.Accounts[0]
	if e.ID != a.ID || e.Type != kyc.CompanyAccount || e.Organization != c.CorpName || e.IDNumber != c.VerifiedNumber || !e.SubmittedAt.Equal(At(20)) {
		t.Errorf("the change's entry %+v", e)
	}
	if personal, err := s.ListPending(ctx, kyc.PersonalAccount, 10, ""); err != nil || len(personal.Accounts) != 0 || personal.Total != 0 {
		t.Errorf("the personal queue %+v (%v), want empty", personal, err)
	}

	tr := next(a, kyc.StateApproved, 40)
	tr.Account.Type, tr.Account.IDNumber, tr.Account.Organization = kyc.CompanyAccount, c.VerifiedNumber, c.CorpName
	if _, err := s.DecideChange(ctx, tr, c); err != nil {
		t.Fatalf("DecideChange: %v", err)
	}
	after, err := s.ListPending(ctx, kyc.CompanyAccount, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if after.Total != 1 || len(after.Accounts) != 1 || after.Accounts[0].ID != applicant.ID {
		t.Errorf("after the decision %+v, want the application alone", after)
	}
}
