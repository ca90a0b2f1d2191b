package webhook

import "time"

// schedule is the wait before each retry after a failed attempt (API.md): the first
// attempt is immediate, then 7 retries, then the delivery is failed. Spread over about
// 28 hours, so a receiver down for a day still gets the event.
var schedule = [...]time.Duration{
	5 * time.Second,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
	10 * time.Hour,
	10 * time.Hour,
}

// MaxAttempts is the first attempt plus every retry in the schedule.
const MaxAttempts = 1 + len(schedule)

// Jitter is the spread around each scheduled delay (±10%): deliveries that failed
// together (a receiver's outage) do not all come back in the same second.
const Jitter = 0.10

// Schedule returns the retry delays without jitter, for documentation and tests.
func Schedule() []time.Duration { return append([]time.Duration(nil), schedule[:]...) }

// NextAttempt returns how long to wait before the next attempt after failed attempts have
// failed (1 after the first failure), jittered by ±Jitter. rnd returns a number in
// [0, 1), e.g. math/rand/v2.Float64; a value outside is clamped. ok is false when the
// schedule is used up: the delivery is failed. failed <= 0 means nothing was tried yet:
// the first attempt goes at once.
func NextAttempt(failed int, rnd func() float64) (delay time.Duration, ok bool) {
	if failed <= 0 {
		return 0, true
	}
	if failed > len(schedule) {
		return 0, false
	}
	base := schedule[failed-1]
	r := min(max(rnd(), 0), 1)
	return time.Duration(float64(base) * (1 - Jitter + 2*Jitter*r)), true
}
