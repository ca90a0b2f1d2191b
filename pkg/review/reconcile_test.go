package review_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/review"
	"github.com/realname-kyc/realname/pkg/submission"
)

// failingQueue is a queue whose Send always fails.
type failingQueue struct{ kyc.Queue }

var errQueueDown = errors.New("sqs: SendMessage https://sqs.internal.example/123456789012/review: connection reset")

func (failingQueue) Send(context.Context, string) (string, error) { return "", errQueueDown }

// drain receives every visible message of q, hands each batch to the worker as the event
// source would, deletes what the worker did not report as failed, and returns the bodies.
func (f *fixture) drain(t *testing.T, q *localqueue.Queue) []kyc.ReviewMessage {
	t.Helper()
	var out []kyc.ReviewMessage
	for {
		msgs, err := q.Receive(t.Context(), 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return out
		}
		ev := events.SQSEvent{}
		for _, m := range msgs {
			var rm kyc.ReviewMessage
			if err := json.Unmarshal([]byte(m.Body), &rm); err != nil {
				t.Fatalf("queued body %q: %v", m.Body, err)
			}
			out = append(out, rm)
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: m.ID, Body: m.Body, ReceiptHandle: m.ReceiptHandle})
		}
		if failed := handle(t, f.worker(), ev.Records...); len(failed) != 0 {
			t.Fatalf("worker failed %v", failed)
		}
		for _, m := range msgs {
			if err := q.Delete(t.Context(), m.ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The reconciler re-queues, oldest first, exactly the accounts that have been SUBMITTED for
// longer than RECONCILE_AFTER: not younger ones (their message is on its way), not one
// submitted exactly that long ago, and no account in any other state.
func TestReconcileRequeuesStrandedSubmissions(t *testing.T) {
	f := newFixture(t)
	q := localqueue.New(localqueue.Options{Visibility: testVisibility})
	f.queue = q
	t0 := f.clock.Now()

	old1 := f.submitted(t, kyc.PersonalAccount, personalDocs...) // t0
	f.clock.Advance(10 * time.Second)
	old2 := f.submitted(t, kyc.CompanyAccount, companyDocs...) // t0+10s
	// Old accounts in every other state.
	pending := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	rejected := f.submitted(t, kyc.PersonalAccount, doc{slot: "frontOfID", content: truncatedPNG}, doc{slot: "backOfID", content: backPNG})
	handle(t, f.worker(), messageFor(t, "p", pending), messageFor(t, "r", rejected))
	approved := f.approved(t, kyc.PersonalAccount, nextResidentID())
	_, unverified := f.unverified(t, kyc.PersonalAccount)
	f.clock.Advance(50 * time.Second)
	atThreshold := f.submitted(t, kyc.PersonalAccount, personalDocs...) // t0+1m
	f.clock.Advance(90 * time.Second)
	young := f.submitted(t, kyc.PersonalAccount, personalDocs...) // t0+2m30s
	f.clock.Advance(30 * time.Second)                             // now t0+3m: stranded means submitted before t0+1m
	if !f.clock.Now().Equal(t0.Add(3 * time.Minute)) {
		t.Fatalf("clock %v", f.clock.Now())
	}
	states := map[string]kyc.State{pending.ID: kyc.StatePendingReview, rejected.ID: kyc.StateRejected, approved.ID: kyc.StateApproved, unverified.ID: kyc.StateUnverified}
	for id, want := range states {
		if got := f.account(t, id); got.State != want {
			t.Fatalf("setup: %s is %s, want %s", id, got.State, want)
		}
	}

	res, err := f.reconciler().Reconcile(t.Context())
	if err != nil || res != (review.ReconcileResult{Requeued: 2}) {
		t.Fatalf("Reconcile = %+v, %v; want 2 re-queued", res, err)
	}
	got := f.drain(t, q)
	want := []kyc.ReviewMessage{{AccountID: old1.ID, Version: old1.Version}, {AccountID: old2.ID, Version: old2.Version}}
	if !slices.Equal(got, want) {
		t.Fatalf("queued %+v, want %+v (oldest first)", got, want)
	}
	for _, a := range []kyc.Account{old1, old2} {
		if got := f.account(t, a.ID); got.State != kyc.StatePendingReview {
			t.Errorf("%s: %s %q after the worker, want PENDING_REVIEW", a.ID, got.State, got.Reasons)
		}
	}
	for id, want := range states {
		if got := f.account(t, id); got.State != want {
			t.Errorf("%s is %s, want it left %s", id, got.State, want)
		}
	}
	for _, a := range []kyc.Account{atThreshold, young} {
		if got := f.account(t, a.ID); got.State != kyc.StateSubmitted || got.Version != a.Version {
			t.Errorf("%s: %s v%d, want untouched", a.ID, got.State, got.Version)
		}
	}

	// A second run finds nothing new; a second later the one at the threshold is stranded.
	if res, err := f.reconciler().Reconcile(t.Context()); err != nil || res.Requeued != 0 {
		t.Fatalf("second Reconcile = %+v, %v; want nothing", res, err)
	}
	f.clock.Advance(time.Second)
	if res, err := f.reconciler().Reconcile(t.Context()); err != nil || res != (review.ReconcileResult{Requeued: 1}) {
		t.Fatalf("Reconcile a second later = %+v, %v; want 1", res, err)
	}
	if got := f.drain(t, q); len(got) != 1 || got[0].AccountID != atThreshold.ID {
		t.Fatalf("queued %+v, want %s", got, atThreshold.ID)
	}
	if got := f.account(t, young.ID); got.State != kyc.StateSubmitted {
		t.Errorf("young account %s, want still SUBMITTED", got.State)
	}
}

// When the queue refuses the re-queue, the run says how many failed and returns an error
// (the schedule's invocation fails and shows in its metrics); the accounts stay SUBMITTED
// for the next run, and the log names accounts by id only.
func TestReconcileQueueFailure(t *testing.T) {
	f := newFixture(t)
	a := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	b := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	f.queue = failingQueue{}
	f.clock.Advance(reconcileAfter + time.Second)
	res, err := f.reconciler().Reconcile(t.Context())
	if err == nil || res != (review.ReconcileResult{Failed: 2}) {
		t.Fatalf("Reconcile = %+v, %v; want 2 failed and an error", res, err)
	}
	for _, acct := range []kyc.Account{a, b} {
		if got := f.account(t, acct.ID); got.State != kyc.StateSubmitted || got.Version != acct.Version {
			t.Errorf("%s: %s v%d, want untouched", acct.ID, got.State, got.Version)
		}
		if !strings.Contains(f.log.String(), acct.ID) || strings.Contains(f.log.String(), acct.IDNumber) {
			t.Errorf("log should name %s and not its ID number: %s", acct.ID, f.log.String())
		}
	}
	// The queue is back: the next run re-queues both.
	f.queue = localqueue.New(localqueue.Options{})
	if res, err := f.reconciler().Reconcile(t.Context()); err != nil || res.Requeued != 2 {
		t.Fatalf("Reconcile after recovery = %+v, %v", res, err)
	}
}

// submission is the submission service over store and queue, with the fixture's documents,
// clock and log: what leaves an account SUBMITTED when its message cannot be sent.
func (f *fixture) submission(t *testing.T, store kyc.Store, queue kyc.Queue) *submission.Service {
	docs := docsOf(t)
	return submission.New(submission.Deps{Store: store, Presigner: docs, Objects: docs, Queue: queue, Clock: f.clock, IDs: kyc.RandomIDs{},
		Log: f.logger, MaxAttempts: 5})
}

// undoFailStore is the real store whose transitions out of SUBMITTED fail: the undo of a
// submission whose message could not be sent.
type undoFailStore struct {
	kyc.Store
	failed atomic.Int32
}

func (s *undoFailStore) Transition(ctx context.Context, t kyc.Transition) (kyc.Account, error) {
	if t.FromState == kyc.StateSubmitted {
		s.failed.Add(1)
		return kyc.Account{}, errInjected
	}
	return s.Store.Transition(ctx, t)
}

// No submission is stranded: the queue refuses the submission's message and the undo of
// the submission fails too, so the account is left SUBMITTED with nothing queued. The
// reconciler finds it once RECONCILE_AFTER has passed, and the worker moves it on.
func TestReconcileRecoversSubmissionWhoseSendFailed(t *testing.T) {
	f := newFixture(t)
	u, a := f.unverified(t, kyc.PersonalAccount)
	store := &undoFailStore{Store: f.store}
	in := submission.PersonalInput{IDNumber: nextResidentID(), Name: "李四", Docs: map[string]submission.Source{
		"frontOfID": {Data: frontPNG, Inline: true},
		"backOfID":  {Data: backPNG, Inline: true},
	}}
	if err := f.submission(t, store, failingQueue{}).SubmitPersonal(t.Context(), u.Principal(), in); err == nil {
		t.Fatal("SubmitPersonal succeeded with the queue down")
	}
	if store.failed.Load() != 1 {
		t.Fatalf("%d undo attempts, want 1", store.failed.Load())
	}
	stranded := f.account(t, a.ID)
	if stranded.State != kyc.StateSubmitted || len(stranded.Documents) != 2 {
		t.Fatalf("account %s with %d documents, want SUBMITTED with both", stranded.State, len(stranded.Documents))
	}
	for slot, d := range stranded.Documents {
		if _, err := docsOf(t).Head(t.Context(), d.Key); err != nil {
			t.Fatalf("document %s of the stranded submission: %v", slot, err)
		}
	}

	// The queue and the store recover; nothing was queued for the account.
	q := localqueue.New(localqueue.Options{Visibility: testVisibility})
	f.queue = q
	f.clock.Advance(reconcileAfter / 2)
	if res, err := f.reconciler().Reconcile(t.Context()); err != nil || res.Requeued != 0 {
		t.Fatalf("Reconcile before %s = %+v, %v; want nothing", reconcileAfter, res, err)
	}
	f.clock.Advance(reconcileAfter / 2)
	f.clock.Advance(time.Second)
	if res, err := f.reconciler().Reconcile(t.Context()); err != nil || res != (review.ReconcileResult{Requeued: 1}) {
		t.Fatalf("Reconcile = %+v, %v; want the stranded account", res, err)
	}
	if got := f.drain(t, q); len(got) != 1 || got[0] != (kyc.ReviewMessage{AccountID: a.ID, Version: stranded.Version}) {
		t.Fatalf("queued %+v", got)
	}
	got := f.account(t, a.ID)
	if got.State != kyc.StatePendingReview || got.Version != stranded.Version+1 {
		t.Fatalf("account %s v%d %q, want PENDING_REVIEW v%d", got.State, got.Version, got.Reasons, stranded.Version+1)
	}
	for slot, c := range checks(got) {
		if c != "ok" {
			t.Errorf("document %s check %q", slot, c)
		}
	}
	if strings.Contains(f.log.String(), in.IDNumber) || strings.Contains(f.log.String(), "李四") {
		t.Errorf("the log shows personal data: %s", f.log.String())
	}
}
