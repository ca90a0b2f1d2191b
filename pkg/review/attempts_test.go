package review_test

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/review"
)

// panicDocs is the bucket whose Get of one key panics, as a check that trips over a
// decoder bug does, with value.
type panicDocs struct {
	review.WorkerDocs
	poisoned string
	value    any
	gets     atomic.Int32 // Gets of the poisoned key
}

func (d *panicDocs) Get(ctx context.Context, key string) (io.ReadCloser, kyc.ObjectInfo, error) {
	if key == d.poisoned {
		d.gets.Add(1)
		panic(d.value)
	}
	return d.WorkerDocs.Get(ctx, key)
}

// timeoutDocs is the bucket whose Get of one key runs out the delivery's time: it cancels
// the delivery's context (cancel, set before each delivery), as the Lambda's deadline
// would, and fails with its error.
type timeoutDocs struct {
	review.WorkerDocs
	poisoned string
	cancel   context.CancelFunc
	gets     atomic.Int32
}

func (d *timeoutDocs) Get(ctx context.Context, key string) (io.ReadCloser, kyc.ObjectInfo, error) {
	if key == d.poisoned {
		d.gets.Add(1)
		d.cancel()
		<-ctx.Done()
		return nil, kyc.ObjectInfo{}, ctx.Err()
	}
	return d.WorkerDocs.Get(ctx, key)
}

// received is messageFor a of SQS's receive number n (ApproximateReceiveCount), as the
// event source delivers it.
func received(t *testing.T, msgID string, a kyc.Account, n int) events.SQSMessage {
	m := messageFor(t, msgID, a)
	m.Attributes = map[string]string{"ApproximateReceiveCount": strconv.Itoa(n)}
	return m
}

// wantUnprocessable checks that a is rejected as unprocessable with every document to
// upload again, by one automated_checks record, and that the reconciler leaves it.
func (f *fixture) wantUnprocessable(t *testing.T, a kyc.Account) {
	t.Helper()
	got := f.account(t, a.ID)
	if got.State != kyc.StateRejected || got.RejectType != kyc.RejectRetry || !slices.Equal(got.Reasons, []string{"unprocessable"}) {
		t.Fatalf("account = %s %q %q; want REJECTED RETRY [unprocessable]", got.State, got.RejectType, got.Reasons)
	}
	if want := []string{"backOfID", "frontOfID"}; !slices.Equal(got.ReuploadSlots, want) {
		t.Errorf("ReuploadSlots = %q, want %q", got.ReuploadSlots, want)
	}
	for slot, c := range checks(got) {
		if c != "unprocessable" {
			t.Errorf("document %s check = %q, want unprocessable", slot, c)
		}
	}
	if got.Version != a.Version+1 || got.Attempts != a.Attempts {
		t.Errorf("version %d attempts %d; want %d and %d", got.Version, got.Attempts, a.Version+1, a.Attempts)
	}
	trail := f.audit(t, a.ID)
	if n := countAction(trail, "automated_checks"); n != 1 {
		t.Errorf("%d automated_checks records, want 1: %+v", n, trail)
	}
	for _, r := range trail {
		if r.Action == "automated_checks" && (r.Reason != "unprocessable" || r.To != kyc.StateRejected || r.Actor != "system") {
			t.Errorf("audit record %+v, want the system's SUBMITTED -> REJECTED for unprocessable", r)
		}
	}
	f.clock.Advance(reconcileAfter + time.Minute)
	if res, err := f.reconciler().Reconcile(t.Context()); err != nil || res.Requeued != 0 {
		t.Errorf("Reconcile = %+v, %v; want nothing re-queued: the account is no longer SUBMITTED", res, err)
	}
}

// A panic while one message of a batch is processed fails that message alone: the
// messages before and after it are decided, and the log names neither the panic's value
// (which may hold personal data) nor the account's identity.
func TestHandlePanicFailsOnlyItsMessage(t *testing.T) {
	for _, tt := range []struct {
		name      string
		value     func(a kyc.Account) any
		wantPanic string // what the log says of the panic
	}{
		{"runtime error", func(kyc.Account) any { var s []int; return recoverOf(func() { _ = s[len(s)] }) }, "index out of range"},
		{"value holding personal data", func(a kyc.Account) any { return "cannot decode the ID card of " + a.IDNumber }, `"panic":"string"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ok1 := f.submitted(t, kyc.PersonalAccount, personalDocs...)
			bad := f.submitted(t, kyc.PersonalAccount, personalDocs...)
			ok2 := f.submitted(t, kyc.PersonalAccount, personalDocs...)
			docs := &panicDocs{WorkerDocs: f.docs, poisoned: bad.Documents["frontOfID"].Key, value: tt.value(bad)}
			f.docs = docs

			failed := handle(t, f.worker(), messageFor(t, "ok1", ok1), messageFor(t, "bad", bad), messageFor(t, "ok2", ok2))
			if !slices.Equal(failed, []string{"bad"}) {
				t.Fatalf("BatchItemFailures = %v, want [bad]", failed)
			}
			if docs.gets.Load() != 1 {
				t.Fatalf("the poisoned document was read %d times, want 1", docs.gets.Load())
			}
			for _, a := range []kyc.Account{ok1, ok2} {
				if got := f.account(t, a.ID); got.State != kyc.StatePendingReview {
					t.Errorf("%s: state %s %q, want PENDING_REVIEW", a.ID, got.State, got.Reasons)
				}
			}
			if got := f.account(t, bad.ID); got.State != kyc.StateSubmitted || got.Version != bad.Version {
				t.Errorf("bad: %s v%d, want untouched", got.State, got.Version)
			}
			log := f.log.String()
			if !strings.Contains(log, "panic") || !strings.Contains(log, tt.wantPanic) {
				t.Errorf("the log does not record the panic as %q: %s", tt.wantPanic, log)
			}
			if strings.Contains(log, bad.IDNumber) || strings.Contains(log, bad.Name) {
				t.Errorf("the log shows personal data: %s", log)
			}
		})
	}
}

// recoverOf returns what f panics with.
func recoverOf(f func()) (p any) {
	defer func() { p = recover() }()
	f()
	return nil
}

// An account whose checks panic every time is retried by the queue, and the delivery
// after MaxCheckAttempts crashes rejects it as unprocessable without running them again:
// the message is done (not dead-lettered), and the reconciler no longer re-queues it.
func TestPanickingChecksEndUnprocessable(t *testing.T) {
	f := newFixture(t)
	a := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	docs := &panicDocs{WorkerDocs: f.docs, poisoned: a.Documents["frontOfID"].Key, value: "decoder bug"}
	f.docs = docs
	q, dlq := queues()
	f.queue = q
	body, _ := json.Marshal(kyc.ReviewMessage{AccountID: a.ID, Version: a.Version})
	id, err := q.Send(t.Context(), string(body))
	if err != nil {
		t.Fatal(err)
	}
	h := newRecordingHandler(f.worker())
	es := eventSource(q, h)

	for i := 1; i <= review.MaxCheckAttempts; i++ {
		if n, err := es.Poll(t.Context()); err != nil || n != 0 {
			t.Fatalf("poll %d deleted %d (%v), want 0: the checks panicked", i, n, err)
		}
		if d := h.deliveries(); len(d) != i || !slices.Equal(d[i-1].failed, []string{id}) || d[i-1].receives[0] != i {
			t.Fatalf("after poll %d: deliveries %+v, want receive %d failed", i, d, i)
		}
	}
	if n, err := es.Poll(t.Context()); err != nil || n != 1 {
		t.Fatalf("poll %d deleted %d (%v), want the message done", review.MaxCheckAttempts+1, n, err)
	}
	if got := docs.gets.Load(); got != review.MaxCheckAttempts {
		t.Errorf("the checks ran %d times, want %d: not again once given up", got, review.MaxCheckAttempts)
	}
	f.wantUnprocessable(t, a)
	wantEmpty(t, "queue", q)
	wantEmpty(t, "dead-letter queue", dlq)
}

// An attempt that dies with the Lambda's deadline (its context ends mid-check) counts as
// a crash like a panic: it had no time left to count itself as a clean failure.
func TestTimedOutChecksEndUnprocessable(t *testing.T) {
	f := newFixture(t)
	a := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	docs := &timeoutDocs{WorkerDocs: f.docs, poisoned: a.Documents["backOfID"].Key}
	f.docs = docs
	w := f.worker()
	for i := 1; i <= review.MaxCheckAttempts+1; i++ {
		ctx, cancel := context.WithCancel(t.Context())
		docs.cancel = cancel
		resp, err := w.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{received(t, "m", a, i)}})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		wantFailed := i <= review.MaxCheckAttempts
		if got := len(resp.BatchItemFailures) == 1; got != wantFailed {
			t.Fatalf("delivery %d: failures %+v, want failed %v", i, resp.BatchItemFailures, wantFailed)
		}
	}
	if got := docs.gets.Load(); got != review.MaxCheckAttempts {
		t.Errorf("the checks ran %d times, want %d", got, review.MaxCheckAttempts)
	}
	f.wantUnprocessable(t, a)
}

// A first delivery runs the checks however many attempts were counted before it: it may
// be one of several copies of a backlogged message (the reconciler's), which count
// attempts without any of them having crashed. Once the panics stop, the reconciler's
// fresh copy of a submission that crashed MaxCheckAttempts times is checked and passes.
func TestFirstDeliveryAlwaysChecks(t *testing.T) {
	f := newFixture(t)
	a := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	real := f.docs
	docs := &panicDocs{WorkerDocs: real, poisoned: a.Documents["frontOfID"].Key, value: "decoder bug"}
	f.docs = docs
	for i := 1; i <= review.MaxCheckAttempts; i++ {
		if failed := handle(t, f.worker(), received(t, "m", a, i)); !slices.Equal(failed, []string{"m"}) {
			t.Fatalf("delivery %d: failures %v, want [m]", i, failed)
		}
	}
	f.docs = real
	if failed := handle(t, f.worker(), received(t, "copy", a, 1)); len(failed) != 0 {
		t.Fatalf("failures %v", failed)
	}
	if got := f.account(t, a.ID); got.State != kyc.StatePendingReview {
		t.Errorf("account %s %q, want PENDING_REVIEW: a first delivery is checked", got.State, got.Reasons)
	}
}

// putFailDocs is the bucket whose Put fails.
type putFailDocs struct{ review.WorkerDocs }

func (putFailDocs) Put(context.Context, string, string, io.ReadSeeker) error { return errInjected }

// Outages cost a submission no attempt: however often a store or S3 call fails, before
// the attempt is counted or after, the message is retried, and once the outage ends the
// submission is checked as usual.
func TestOutagesDoNotCountAsCrashes(t *testing.T) {
	tests := []struct {
		name    string
		docs    []doc
		breakIt func(f *fixture, a kyc.Account)
	}{
		{"account read fails (before the attempt is counted)", personalDocs,
			func(f *fixture, a kyc.Account) {
				f.workerStore = &faultStore{WorkerStore: f.store, getFails: map[string]bool{a.ID: true}}
			}},
		{"document store fails", personalDocs,
			func(f *fixture, _ kyc.Account) { f.docs = faultDocs{WorkerDocs: f.docs, headErr: errInjected} }},
		{"identity lookup fails", personalDocs,
			func(f *fixture, _ kyc.Account) {
				f.workerStore = &faultStore{WorkerStore: f.store, identityFails: true}
			}},
		{"transition fails", personalDocs,
			func(f *fixture, _ kyc.Account) {
				f.workerStore = &faultStore{WorkerStore: f.store, transitionFails: true}
			}},
		{"write-back without metadata fails", metadataDocs(),
			func(f *fixture, _ kyc.Account) { f.docs = putFailDocs{f.docs} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.submitted(t, kyc.PersonalAccount, tt.docs...)
			tt.breakIt(f, a)
			const outage = review.MaxCheckAttempts + 3
			for i := 1; i <= outage; i++ {
				if failed := handle(t, f.worker(), received(t, "m", a, i)); !slices.Equal(failed, []string{"m"}) {
					t.Fatalf("delivery %d: failures %v, want [m]", i, failed)
				}
			}
			if got := f.account(t, a.ID); got.State != kyc.StateSubmitted || got.Version != a.Version {
				t.Fatalf("during the outage: %s v%d %q, want untouched", got.State, got.Version, got.Reasons)
			}
			f.workerStore, f.docs = f.store, docsOf(t)
			if failed := handle(t, f.worker(), received(t, "m", a, outage+1)); len(failed) != 0 {
				t.Fatalf("after the outage: failures %v", failed)
			}
			if got := f.account(t, a.ID); got.State != kyc.StatePendingReview {
				t.Errorf("after the outage: %s %q, want PENDING_REVIEW", got.State, got.Reasons)
			}
		})
	}
}
