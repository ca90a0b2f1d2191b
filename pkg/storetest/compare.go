package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// equal is how the suite compares what a store returns with what it was given: whole
// records (users, accounts with their documents, sessions, audit records, uploads,
// pages), field by field as cmp walks them, so a field that a store drops or garbles
// fails, including a field added to a kyc type after this suite was written. Only the
// two latitudes the package documentation grants are allowed:
//   - times are the same instant to the millisecond (location and finer digits may go);
//   - nil and empty slices and maps are the same.
var equal = cmp.Options{
	cmp.Comparer(sameMillisecond),
	cmpopts.EquateEmpty(),
}

// sameMillisecond reports whether a and b are the same instant to the millisecond,
// wherever each is located. The suite's times are whole milliseconds, so a store that
// keeps milliseconds keeps them exactly, and one that drops them differs.
func sameMillisecond(a, b time.Time) bool {
	return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond))
}

// diff returns the difference between want and got as cmp.Diff prints it (-want +got),
// or "" when they are equal by the suite's rules. opts are added for one comparison,
// e.g. to ignore a field the contract leaves open.
func diff(want, got any, opts ...cmp.Option) string {
	return cmp.Diff(want, got, equal, cmp.Options(opts))
}

// wantSame fails the test, without stopping it, unless got equals want by the suite's
// rules; what names the comparison.
func wantSame[T any](t *testing.T, what string, want, got T, opts ...cmp.Option) {
	t.Helper()
	if d := diff(want, got, opts...); d != "" {
		t.Errorf("%s: mismatch (-want +got):\n%s", what, d)
	}
}
