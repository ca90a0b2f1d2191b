package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

func testSubmittedBefore(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	// Submitted out of order, at minutes 30, 10, 40, 20, 50; one of each type to show the
	// reconciler's list does not care about type.
	var submitted []kyc.Account
	for i, minute := range []int{30, 10, 40, 20, 50} {
		typ := kyc.PersonalAccount
		if i%2 == 1 {
			typ = kyc.CompanyAccount
		}
		submitted = append(submitted, mustSubmit(t, s, create(t, s, i+1, typ), minute))
	}
	// Older but no longer (or not yet) SUBMITTED: never listed.
	mustPending(t, s, create(t, s, 6, kyc.PersonalAccount), 1)
	rejected := mustSubmit(t, s, create(t, s, 7, kyc.PersonalAccount), 2)
	mustApply(t, s, next(rejected, kyc.StateRejected, 3))
	create(t, s, 8, kyc.PersonalAccount)

	oldest := []kyc.Account{submitted[1], submitted[3], submitted[0], submitted[2], submitted[4]} // 10, 20, 30, 40, 50
	cases := []struct {
		name   string
		before time.Time
		limit  int
		want   []kyc.Account
	}{
		{"all", At(1000), 10, oldest},
		{"limit", At(1000), 2, oldest[:2]},
		{"strictly before", At(40), 10, oldest[:3]},
		{"a millisecond after", At(40).Add(time.Millisecond), 10, oldest[:4]},
		{"limit one", At(40), 1, oldest[:1]},
		{"none yet", At(10), 10, nil},
	}
	for _, c := range cases {
		got, err := s.ListSubmittedBefore(ctx, c.before, c.limit)
		if err != nil {
			t.Fatalf("ListSubmittedBefore %s: %v", c.name, err)
		}
		wantSame(t, fmt.Sprintf("ListSubmittedBefore %s (limit %d)", c.name, c.limit), c.want, got)
	}

	// Moving on takes an account off the list.
	mustApply(t, s, next(oldest[0], kyc.StatePendingReview, 60))
	got, err := s.ListSubmittedBefore(ctx, At(1000), 10)
	if err != nil {
		t.Fatalf("ListSubmittedBefore: %v", err)
	}
	wantSame(t, "ListSubmittedBefore after one moved on", oldest[1:], got)
}
