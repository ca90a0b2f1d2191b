package review_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/realname-kyc/realname/pkg/identity"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/review"
)

// flakyProvider is the sandbox, or an outage while down; it counts the checks asked.
type flakyProvider struct {
	mu   sync.Mutex
	down bool
	n    int
}

func (p *flakyProvider) Check(ctx context.Context, f kyc.IdentityFactors) (kyc.IdentityAnswer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.down {
		return kyc.IdentityAnswer{}, fmt.Errorf("vendor: %w", identity.ErrUnavailable)
	}
	return identity.Sandbox{}.Check(ctx, f)
}

func (f *fixture) factorWorker(p kyc.IdentityProvider) *review.Worker {
	return review.NewWorker(review.WorkerDeps{Store: f.workerStore, Docs: f.docs, Clock: f.clock, Log: f.logger, Identity: p})
}

func (f *fixture) factors(t *testing.T, id string) []kyc.Factor {
	t.Helper()
	_, fs, err := f.store.GetAccountAndFactors(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// Under VERIFY_POLICY=documents the worker checks a personal submission's name and ID
// number: a match passes it on (the factor recorded in the same write), a mismatch
// rejects it with RETRY and name_id_mismatch, an outage is an attempt without a verdict
// (the message fails, to be retried); a submission without a name, or one rejected for
// its documents, asks nobody.
func TestWorkerTwoFactorCheck(t *testing.T) {
	f := newFixture(t)
	p := &flakyProvider{}
	w := f.factorWorker(p)

	match := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	if failed := handle(t, w, messageFor(t, "m1", match)); len(failed) != 0 {
		t.Fatalf("match: failed %v", failed)
	}
	if a := f.account(t, match.ID); a.State != kyc.StatePendingReview {
		t.Errorf("match: %s %v", a.State, a.Reasons)
	}
	if fs := f.factors(t, match.ID); len(fs) != 1 || fs[0].Result != kyc.FactorMatch || fs[0].Kind != kyc.FactorTwo || fs[0].Provider != identity.SandboxName || fs[0].IDNumber != match.IDNumber {
		t.Errorf("match's factors: %+v", fs)
	}

	mismatch := f.submittedWith(t, kyc.PersonalAccount, func(a *kyc.Account) { a.Name += identity.SandboxMismatchSuffix }, personalDocs...)
	if failed := handle(t, w, messageFor(t, "m2", mismatch)); len(failed) != 0 {
		t.Fatalf("mismatch: failed %v", failed)
	}
	a := f.account(t, mismatch.ID)
	if a.State != kyc.StateRejected || a.RejectType != kyc.RejectRetry || !slices.Equal(a.Reasons, []string{review.ReasonNameIDMismatch}) {
		t.Errorf("mismatch: %s %s %v", a.State, a.RejectType, a.Reasons)
	}
	if fs := f.factors(t, mismatch.ID); len(fs) != 1 || fs[0].Result != kyc.FactorMismatch || fs[0].Reason != identity.ReasonNameID {
		t.Errorf("mismatch's factors: %+v", fs)
	}

	before := p.n
	noName := f.submittedWith(t, kyc.PersonalAccount, func(a *kyc.Account) { a.Name = "" }, personalDocs...)
	badDoc := f.submittedWith(t, kyc.PersonalAccount, nil, doc{slot: "frontOfID", content: htmlPage}, doc{slot: "backOfID", content: backPNG})
	if failed := handle(t, w, messageFor(t, "m3", noName), messageFor(t, "m4", badDoc)); len(failed) != 0 {
		t.Fatalf("failed %v", failed)
	}
	if p.n != before {
		t.Errorf("the provider was asked %d times about a nameless or already rejected submission", p.n-before)
	}
	if a := f.account(t, noName.ID); a.State != kyc.StatePendingReview {
		t.Errorf("nameless submission: %s", a.State)
	}

	p.down = true
	outage := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	if failed := handle(t, w, messageFor(t, "m5", outage)); !slices.Equal(failed, []string{"m5"}) {
		t.Fatalf("outage: failed %v, want the message retried", failed)
	}
	if a := f.account(t, outage.ID); a.State != kyc.StateSubmitted || len(f.factors(t, outage.ID)) != 0 {
		t.Errorf("outage: %s, factors %v", a.State, f.factors(t, outage.ID))
	}
	p.down = false
	m := messageFor(t, "m5", outage)
	m.Attributes = map[string]string{"ApproximateReceiveCount": "2"}
	if failed := handle(t, w, m); len(failed) != 0 {
		t.Fatalf("retry after the outage: failed %v", failed)
	}
	if a := f.account(t, outage.ID); a.State != kyc.StatePendingReview {
		t.Errorf("retry after the outage: %s", a.State)
	}

	// Without a provider (VERIFY_POLICY=factors) nothing is asked or recorded.
	plain := f.submittedWith(t, kyc.PersonalAccount, func(a *kyc.Account) { a.Name += identity.SandboxMismatchSuffix }, personalDocs...)
	if failed := handle(t, f.worker(), messageFor(t, "m6", plain)); len(failed) != 0 {
		t.Fatal(failed)
	}
	if a := f.account(t, plain.ID); a.State != kyc.StatePendingReview || len(f.factors(t, plain.ID)) != 0 {
		t.Errorf("without a provider: %s", a.State)
	}
}
