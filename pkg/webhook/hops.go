package webhook

import "time"

// MaxHop is the longest delay SQS puts on a message (DelaySeconds 900).
const MaxHop = 15 * time.Minute

// Retries longer than MaxHop are chained re-sends: the delivery message carries the time
// it is due; a worker that receives it early sends it on again with the delay NextHop
// gives and acknowledges the early copy, until it arrives due. Keying on the due time,
// not on a hop count, keeps the chain right when SQS delivers late or twice: a 10 h
// retry is 40 hops, each one cheap message.

// NextHop returns how long to put a message due at due back on the queue, now; deliver
// is true when it is due and should be attempted instead.
func NextHop(now, due time.Time) (delay time.Duration, deliver bool) {
	wait := due.Sub(now)
	if wait <= 0 {
		return 0, true
	}
	return min(ceilSecond(wait), MaxHop), false
}

// Hops splits d into SQS-sized delays (each at most MaxHop, whole seconds, d rounded up
// to a second) whose sum is d: the chain NextHop walks when SQS is punctual. Zero or
// negative d needs no hop.
func Hops(d time.Duration) []time.Duration {
	d = ceilSecond(d)
	var hops []time.Duration
	for d > 0 {
		h := min(d, MaxHop)
		hops = append(hops, h)
		d -= h
	}
	return hops
}

// ceilSecond rounds up because DelaySeconds is whole seconds and a message must never
// arrive before it is due.
func ceilSecond(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return d
}
