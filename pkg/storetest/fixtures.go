package storetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// At returns the suite's reference instant plus the given minutes. The instant has a
// millisecond part, so a store that drops milliseconds fails, and nothing finer, so one
// that keeps only milliseconds passes; it is in UTC+8, so a store is seen to keep the
// instant whatever the location.
func At(minutes int) time.Time {
	base := time.Date(2025, 6, 1, 8, 30, 15, 123_000_000, time.UTC)
	return base.Add(time.Duration(minutes) * time.Minute).In(time.FixedZone("UTC+8", 8*3600))
}

// NewUser returns a valid user numbered n that owns the account AccountID(n). All values are
// synthetic; none looks like a real phone or ID number.
func NewUser(n int) kyc.User {
	return kyc.User{
		ID:           UserID(n),
		Phone:        fmt.Sprintf("test-phone-%04d", n),
		PasswordHash: fmt.Sprintf("test-hash-%04d", n),
		Role:         kyc.RoleUser,
		AccountID:    AccountID(n),
		CreatedAt:    At(0),
		UpdatedAt:    At(0),
	}
}

// NewAccount returns a valid UNVERIFIED account numbered n owned by UserID(n).
func NewAccount(n int, typ kyc.AccountType) kyc.Account {
	a := kyc.Account{
		ID:        AccountID(n),
		OwnerID:   UserID(n),
		Type:      typ,
		Name:      fmt.Sprintf("Test Person %d", n),
		Tel:       fmt.Sprintf("test-tel-%04d", n),
		Address:   fmt.Sprintf("%d Test Road", n),
		IDNumber:  fmt.Sprintf("test-id-%04d", n),
		State:     kyc.StateUnverified,
		CreatedAt: At(0),
		UpdatedAt: At(0),
	}
	if typ == kyc.CompanyAccount {
		a.Name = fmt.Sprintf("Test Company %d", n)
		a.Organization = a.Name
	}
	return a
}

// UserID is the id of the user fixture n.
func UserID(n int) string { return fmt.Sprintf("user-%04d", n) }

// AccountID is the id of the account fixture n.
func AccountID(n int) string { return fmt.Sprintf("acct-%04d", n) }

// tokenHash looks like the hex SHA-256 the service stores.
func tokenHash(n int) string { return fmt.Sprintf("%064x", n) }

// create stores user and account n and returns the account as stored.
func create(t *testing.T, s kyc.Store, n int, typ kyc.AccountType) kyc.Account {
	t.Helper()
	a := NewAccount(n, typ)
	if _, err := s.CreateUser(t.Context(), NewUser(n), a); err != nil {
		t.Fatalf("CreateUser %d: %v", n, err)
	}
	a.Version = 1
	return a
}

// createMany creates accounts first..first+count-1 with a few writers at once, since a
// suite that waits on one round trip at a time is slow against a DynamoDB server. each, if
// not nil, runs on every created account and returns it as it then is.
func createMany(t *testing.T, s kyc.Store, first, count int, typ kyc.AccountType, each func(a kyc.Account) (kyc.Account, error)) []kyc.Account {
	t.Helper()
	out := make([]kyc.Account, count)
	errs := make([]error, count)
	work := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range work {
				a := NewAccount(first+i, typ)
				if _, err := s.CreateUser(t.Context(), NewUser(first+i), a); err != nil {
					errs[i] = fmt.Errorf("CreateUser %d: %w", first+i, err)
					continue
				}
				a.Version = 1
				if each != nil {
					a, errs[i] = each(a)
				}
				out[i] = a
			}
		})
	}
	for i := range count {
		work <- i
	}
	close(work)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// next is cur moved to state to at the given minute, ready to pass to Transition.
func next(cur kyc.Account, to kyc.State, minute int) kyc.Transition {
	n := cloneAccount(cur)
	n.State = to
	n.UpdatedAt = At(minute)
	return kyc.Transition{
		Account:     n,
		FromState:   cur.State,
		FromVersion: cur.Version,
		Audit: kyc.AuditRecord{
			AccountID: cur.ID,
			At:        At(minute),
			Actor:     "reviewer-1",
			ActorRole: kyc.RoleReviewer,
			Action:    "transition",
			From:      cur.State,
			To:        to,
			RequestID: fmt.Sprintf("req-%s-%d", cur.ID, cur.Version),
		},
	}
}

// apply runs Transition and checks the version it returns; errors rather than t.Fatal so
// it can run in worker goroutines.
func apply(ctx context.Context, s kyc.Store, tr kyc.Transition) (kyc.Account, error) {
	got, err := s.Transition(ctx, tr)
	if err != nil {
		return kyc.Account{}, fmt.Errorf("transition %s %s->%s: %w", tr.Account.ID, tr.FromState, tr.Account.State, err)
	}
	if got.Version != tr.FromVersion+1 {
		return kyc.Account{}, fmt.Errorf("transition %s: version %d, want %d", tr.Account.ID, got.Version, tr.FromVersion+1)
	}
	return got, nil
}

// submit moves an UNVERIFIED account to SUBMITTED at minute submittedAt.
func submit(ctx context.Context, s kyc.Store, a kyc.Account, submittedAt int) (kyc.Account, error) {
	tr := next(a, kyc.StateSubmitted, submittedAt)
	tr.Account.SubmittedAt = At(submittedAt)
	tr.Account.Attempts++
	return apply(ctx, s, tr)
}

// toPending moves an UNVERIFIED account through SUBMITTED to PENDING_REVIEW.
func toPending(ctx context.Context, s kyc.Store, a kyc.Account, submittedAt int) (kyc.Account, error) {
	a, err := submit(ctx, s, a, submittedAt)
	if err != nil {
		return a, err
	}
	return apply(ctx, s, next(a, kyc.StatePendingReview, submittedAt+1))
}

// mustApply, mustSubmit and mustPending are apply, submit and toPending for the test's
// own goroutine: they stop the test on failure.
func mustApply(t *testing.T, s kyc.Store, tr kyc.Transition) kyc.Account {
	t.Helper()
	a, err := apply(t.Context(), s, tr)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustSubmit(t *testing.T, s kyc.Store, a kyc.Account, submittedAt int) kyc.Account {
	t.Helper()
	a, err := submit(t.Context(), s, a, submittedAt)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustPending(t *testing.T, s kyc.Store, a kyc.Account, submittedAt int) kyc.Account {
	t.Helper()
	a, err := toPending(t.Context(), s, a, submittedAt)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func cloneAccount(a kyc.Account) kyc.Account {
	a.Reasons = slices.Clone(a.Reasons)
	a.ReuploadSlots = slices.Clone(a.ReuploadSlots)
	a.Documents = maps.Clone(a.Documents)
	return a
}

// concurrently runs fn n times at once, released together so they really race.
func concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// codes counts results by domain code, "" for success.
func codes(errs []error) map[string]int {
	m := map[string]int{}
	for _, err := range errs {
		m[kyc.ErrorCode(err)]++
	}
	return m
}

// wantCode fails unless err carries code; it names what was tried.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := kyc.ErrorCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// checkAccount compares the stored account with want, whole.
func checkAccount(t *testing.T, s kyc.Store, want kyc.Account) {
	t.Helper()
	got, err := s.GetAccount(t.Context(), want.ID)
	if err != nil {
		t.Fatalf("GetAccount %s: %v", want.ID, err)
	}
	wantSame(t, "GetAccount "+want.ID, want, got)
}
