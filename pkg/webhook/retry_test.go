package webhook_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/webhook"
)

func constant(r float64) func() float64 { return func() float64 { return r } }

func TestNextAttemptFollowsScheduleWithJitter(t *testing.T) {
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	if webhook.MaxAttempts != 8 {
		t.Errorf("MaxAttempts = %d, want 8 (first try and 7 retries)", webhook.MaxAttempts)
	}
	if d, ok := webhook.NextAttempt(0, constant(0.99)); d != 0 || !ok {
		t.Errorf("NextAttempt(0) = %v, %v; want the first try at once", d, ok)
	}
	for i, base := range want {
		failed := i + 1
		if d, ok := webhook.NextAttempt(failed, constant(0.5)); !ok || d != base {
			t.Errorf("NextAttempt(%d, mid) = %v, %v; want %v", failed, d, ok, base)
		}
		lo, _ := webhook.NextAttempt(failed, constant(0))
		hi, _ := webhook.NextAttempt(failed, constant(1))
		if lo != base*9/10 || hi != base*11/10 {
			t.Errorf("NextAttempt(%d) spans [%v, %v], want ±10%% of %v", failed, lo, hi, base)
		}
		if out, _ := webhook.NextAttempt(failed, constant(7)); out != hi {
			t.Errorf("NextAttempt(%d) with rnd out of range = %v, want clamped to %v", failed, out, hi)
		}
	}
	for _, failed := range []int{8, 9, 1 << 30} {
		if d, ok := webhook.NextAttempt(failed, rand.Float64); ok {
			t.Errorf("NextAttempt(%d) = %v, true; want failed", failed, d)
		}
	}
}

func TestHopsSplitIntoSQSDelays(t *testing.T) {
	for _, d := range append(webhook.Schedule(), 0, -time.Second, 900*time.Second, 901*time.Second, 1500*time.Millisecond) {
		hops := webhook.Hops(d)
		var sum time.Duration
		for _, h := range hops {
			if h <= 0 || h > 15*time.Minute || h%time.Second != 0 {
				t.Errorf("Hops(%v) has hop %v", d, h)
			}
			sum += h
		}
		want := max(d, 0).Round(time.Second)
		if d%time.Second != 0 && d > 0 {
			want = d.Truncate(time.Second) + time.Second
		}
		if sum != want {
			t.Errorf("Hops(%v) sums to %v, want %v", d, sum, want)
		}
	}
	if n := len(webhook.Hops(10 * time.Hour)); n != 40 {
		t.Errorf("10 h is %d hops, want 40", n)
	}
}

func TestNextHopKeysOnDueTime(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		due     time.Time
		delay   time.Duration
		deliver bool
	}{
		{now, 0, true},
		{now.Add(-time.Hour), 0, true},
		{now.Add(5 * time.Second), 5 * time.Second, false},
		{now.Add(1500 * time.Millisecond), 2 * time.Second, false},
		{now.Add(10 * time.Hour), 15 * time.Minute, false},
	}
	for _, tt := range tests {
		d, deliver := webhook.NextHop(now, tt.due)
		if d != tt.delay || deliver != tt.deliver {
			t.Errorf("NextHop(due in %v) = %v, %v; want %v, %v", tt.due.Sub(now), d, deliver, tt.delay, tt.deliver)
		}
	}
	// Walking the chain with punctual SQS reaches the due time, never before it.
	due := now.Add(2*time.Hour + 7*time.Second)
	at, hops := now, 0
	for {
		d, deliver := webhook.NextHop(at, due)
		if deliver {
			break
		}
		at, hops = at.Add(d), hops+1
	}
	if !at.Equal(due) || hops != 9 {
		t.Errorf("chain ended at %v after %d hops, want %v after 9", at, hops, due)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		status int
		err    error
		want   webhook.Outcome
	}{
		{200, nil, webhook.Delivered},
		{204, nil, webhook.Delivered},
		{299, nil, webhook.Delivered},
		{410, nil, webhook.Disable},
		{301, nil, webhook.Retry},
		{400, nil, webhook.Retry},
		{404, nil, webhook.Retry},
		{429, nil, webhook.Retry},
		{500, nil, webhook.Retry},
		{503, nil, webhook.Retry},
		{199, nil, webhook.Retry},
		{300, nil, webhook.Retry},
		{0, context.DeadlineExceeded, webhook.Retry},
		{200, webhook.ErrForbiddenDial, webhook.Retry},
	}
	for _, tt := range tests {
		if got := webhook.Classify(tt.status, tt.err); got != tt.want {
			t.Errorf("Classify(%d, %v) = %v, want %v", tt.status, tt.err, got, tt.want)
		}
	}
}
