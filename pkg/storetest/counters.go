package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

func testCounterIncr(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	now, exp := At(0), At(10)
	if v, err := s.Counter(ctx, "sms:test-1", now); err != nil || v != 0 {
		t.Errorf("Counter of an absent key: %d, %v; want 0", v, err)
	}
	for want := int64(1); want <= 3; want++ {
		v, err := s.Incr(ctx, "sms:test-1", now, exp)
		if err != nil || v != want {
			t.Fatalf("Incr #%d: %d, %v; want %d", want, v, err, want)
		}
	}
	if v, err := s.Counter(ctx, "sms:test-1", now); err != nil || v != 3 {
		t.Errorf("Counter: %d, %v; want 3", v, err)
	}
	// Keys are independent.
	if v, err := s.Incr(ctx, "sms:test-2", now, exp); err != nil || v != 1 {
		t.Errorf("Incr of another key: %d, %v; want 1", v, err)
	}
	if v, err := s.Counter(ctx, "sms:test-1", now); err != nil || v != 3 {
		t.Errorf("Counter after another key moved: %d, %v; want 3", v, err)
	}
}

func testCounterWindow(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	const key = "login:test-1"
	exp := At(10)
	if _, err := s.Incr(ctx, key, At(0), exp); err != nil {
		t.Fatalf("Incr: %v", err)
	}
	// A later increment in the same window does not extend it.
	if v, err := s.Incr(ctx, key, At(5), At(15)); err != nil || v != 2 {
		t.Fatalf("Incr in the window: %d, %v; want 2", v, err)
	}
	if v, err := s.Counter(ctx, key, exp.Add(-time.Millisecond)); err != nil || v != 2 {
		t.Errorf("Counter just before the window ends: %d, %v; want 2", v, err)
	}
	for _, now := range []time.Time{exp, At(12)} {
		if v, err := s.Counter(ctx, key, now); err != nil || v != 0 {
			t.Errorf("Counter %s after the window: %d, %v; want 0", now.Sub(exp), v, err)
		}
	}
	// After the window the count starts again, in a new window.
	if v, err := s.Incr(ctx, key, exp, At(20)); err != nil || v != 1 {
		t.Fatalf("Incr after the window: %d, %v; want 1", v, err)
	}
	if v, err := s.Incr(ctx, key, At(19), At(30)); err != nil || v != 2 {
		t.Fatalf("Incr in the new window: %d, %v; want 2", v, err)
	}
	if v, err := s.Counter(ctx, key, At(19)); err != nil || v != 2 {
		t.Errorf("Counter in the new window: %d, %v; want 2", v, err)
	}
	if v, err := s.Counter(ctx, key, At(20)); err != nil || v != 0 {
		t.Errorf("Counter after the new window: %d, %v; want 0", v, err)
	}
}

func testCounterConcurrent(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	const n = 50
	got := make([]int64, n)
	errs := concurrently(n, func(i int) error {
		v, err := s.Incr(ctx, "sms:test-race", At(0), At(10))
		got[i] = v
		return err
	})
	if c := codes(errs); c[""] != n {
		t.Fatalf("%d concurrent Incr: results by code %v, want all to succeed", n, c)
	}
	slices.Sort(got)
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("%d concurrent Incr returned %v, want each of 1..%d once", n, got, n)
		}
	}
	if v, err := s.Counter(ctx, "sms:test-race", At(1)); err != nil || v != n {
		t.Errorf("Counter after %d concurrent Incr: %d, %v", n, v, err)
	}
}
