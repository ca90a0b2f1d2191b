package review_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/review"
)

// testVisibility is the queues' visibility timeout here: short, so a failed message comes
// back at once.
const testVisibility = 30 * time.Millisecond

// delivery is what one invocation of the worker by the event source saw and answered.
type delivery struct {
	ids      []string
	receives []int // ApproximateReceiveCount of each record
	bodies   []string
	failed   []string
}

// recordingHandler is the worker as the event source invokes it (the Lambda handler),
// recording each invocation.
type recordingHandler struct {
	next lambda.Handler
	mu   sync.Mutex
	log  []delivery
}

func newRecordingHandler(w *review.Worker) *recordingHandler {
	return &recordingHandler{next: lambda.NewHandler(w.Handle)}
}

func (h *recordingHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := h.next.Invoke(ctx, payload)
	var ev events.SQSEvent
	_ = json.Unmarshal(payload, &ev)
	var d delivery
	for _, r := range ev.Records {
		n, _ := strconv.Atoi(r.Attributes["ApproximateReceiveCount"])
		d.ids, d.receives, d.bodies = append(d.ids, r.MessageId), append(d.receives, n), append(d.bodies, r.Body)
	}
	var resp events.SQSEventResponse
	if err == nil {
		_ = json.Unmarshal(out, &resp)
	}
	for _, f := range resp.BatchItemFailures {
		d.failed = append(d.failed, f.ItemIdentifier)
	}
	h.mu.Lock()
	h.log = append(h.log, d)
	h.mu.Unlock()
	return out, err
}

func (h *recordingHandler) deliveries() []delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.log)
}

// queues are a review queue with the redrive policy of template.yaml (5 receives, then
// the dead-letter queue) and its dead-letter queue.
func queues() (q, dlq *localqueue.Queue) {
	dlq = localqueue.New(localqueue.Options{Visibility: testVisibility})
	q = localqueue.New(localqueue.Options{Visibility: testVisibility, MaxReceives: 5, DeadLetter: dlq})
	return q, dlq
}

// eventSource is the local runner's SQS event source mapping over q, feeding h.
func eventSource(q kyc.Queue, h lambda.Handler) localrun.EventSource {
	return localrun.EventSource{Queue: q, Handler: h, BatchSize: 10, Wait: 300 * time.Millisecond,
		QueueARN: "arn:aws:sqs:us-east-1:000000000000:review", Log: slog.New(slog.DiscardHandler)}
}

// wantEmpty checks that no message is left on q, visible or hidden.
func wantEmpty(t *testing.T, name string, q *localqueue.Queue) {
	t.Helper()
	msgs, err := q.Receive(t.Context(), 10, 2*testVisibility)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 0 {
		t.Errorf("%s holds %d messages, want none: %+v", name, len(msgs), msgs)
	}
}

// crashStore is the real store whose first Transition fails: before writing (the worker
// died between its checks and its write) or after writing (it died before it could
// acknowledge).
type crashStore struct {
	review.WorkerStore
	afterWrite bool
	calls      atomic.Int32
}

func (s *crashStore) Transition(ctx context.Context, t kyc.Transition) (kyc.Account, error) {
	if s.calls.Add(1) == 1 {
		if s.afterWrite {
			if _, err := s.WorkerStore.Transition(ctx, t); err != nil {
				return kyc.Account{}, err
			}
		}
		return kyc.Account{}, errInjected
	}
	return s.WorkerStore.Transition(ctx, t)
}

// A worker that fails between its checks and its write reports the message in
// BatchItemFailures; the event source leaves it on the queue, it comes back, and the
// account makes exactly one transition, whether the failed write landed or not.
func TestCrashBetweenCheckAndWrite(t *testing.T) {
	for _, tt := range []struct {
		name            string
		afterWrite      bool
		wantTransitions int32 // calls of Transition, including the failed one
	}{
		{"write never happened", false, 2},
		{"write landed, answer lost", true, 1}, // the redelivery finds the account moved on
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := f.submitted(t, kyc.PersonalAccount, personalDocs...)
			q, dlq := queues()
			crash := &crashStore{WorkerStore: f.store, afterWrite: tt.afterWrite}
			f.workerStore = crash
			body, _ := json.Marshal(kyc.ReviewMessage{AccountID: a.ID, Version: a.Version})
			id, err := q.Send(t.Context(), string(body))
			if err != nil {
				t.Fatal(err)
			}
			h := newRecordingHandler(f.worker())
			es := eventSource(q, h)

			if n, err := es.Poll(t.Context()); err != nil || n != 0 {
				t.Fatalf("first poll deleted %d (%v), want 0: the message failed", n, err)
			}
			if d := h.deliveries(); len(d) != 1 || !slices.Equal(d[0].failed, []string{id}) {
				t.Fatalf("first delivery %+v, want the message in BatchItemFailures", d)
			}
			if n, err := es.Poll(t.Context()); err != nil || n != 1 {
				t.Fatalf("second poll deleted %d (%v), want the redelivered message", n, err)
			}
			d := h.deliveries()
			if len(d) != 2 || !slices.Equal(d[1].ids, []string{id}) || d[1].receives[0] != 2 || len(d[1].failed) != 0 {
				t.Fatalf("deliveries %+v, want the same message again (receive 2), handled", d)
			}
			got := f.account(t, a.ID)
			if got.State != kyc.StatePendingReview || got.Version != a.Version+1 {
				t.Errorf("account %s v%d, want PENDING_REVIEW v%d", got.State, got.Version, a.Version+1)
			}
			// Records of one instant (the fixed clock) list in any order.
			if trail := f.audit(t, a.ID); len(trail) != 2 || countAction(trail, "automated_checks") != 1 {
				t.Errorf("audit trail %+v, want the submission and one automated_checks record", trail)
			}
			if n := crash.calls.Load(); n != tt.wantTransitions {
				t.Errorf("Transition called %d times, want %d", n, tt.wantTransitions)
			}
			wantEmpty(t, "queue", q)
			wantEmpty(t, "dead-letter queue", dlq)
		})
	}
}

// A poison message fails every time: after the fifth receive the queue moves it to the
// dead-letter queue instead of delivering it again. The account whose message it was
// stays SUBMITTED until the reconciler queues it again, and then reaches PENDING_REVIEW.
func TestPoisonMessageDeadLettersAndReconcilerRecovers(t *testing.T) {
	f := newFixture(t)
	a := f.submitted(t, kyc.PersonalAccount, personalDocs...)
	q, dlq := queues()
	f.queue = q
	// The account's message, cut off in transit.
	good, _ := json.Marshal(kyc.ReviewMessage{AccountID: a.ID, Version: a.Version})
	poison := string(good[:len(good)/2])
	id, err := q.Send(t.Context(), poison)
	if err != nil {
		t.Fatal(err)
	}
	h := newRecordingHandler(f.worker())
	es := eventSource(q, h)

	for i := 1; i <= 5; i++ {
		if n, err := es.Poll(t.Context()); err != nil || n != 0 {
			t.Fatalf("poll %d deleted %d (%v), want 0", i, n, err)
		}
		d := h.deliveries()
		if len(d) != i {
			t.Fatalf("after poll %d: %d deliveries, want %d", i, len(d), i)
		}
		if last := d[i-1]; !slices.Equal(last.ids, []string{id}) || last.receives[0] != i || !slices.Equal(last.failed, []string{id}) {
			t.Fatalf("delivery %d = %+v, want the poison message, receive %d, failed", i, last, i)
		}
	}
	// The sixth receive moves it to the dead-letter queue: the worker never sees it again.
	if n, err := es.Poll(t.Context()); err != nil || n != 0 {
		t.Fatalf("sixth poll deleted %d (%v)", n, err)
	}
	if d := h.deliveries(); len(d) != 5 {
		t.Fatalf("%d deliveries, want 5: %+v", len(d), d)
	}
	dead, err := dlq.Receive(t.Context(), 10, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].ID != id || dead[0].Body != poison || dead[0].ReceiveCount < 5 {
		t.Fatalf("dead-letter queue = %+v, want the poison message after 5 receives", dead)
	}
	if err := dlq.Delete(t.Context(), dead[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	wantEmpty(t, "queue", q)
	if got := f.account(t, a.ID); got.State != kyc.StateSubmitted || got.Version != a.Version {
		t.Fatalf("account %s v%d, want still SUBMITTED v%d", got.State, got.Version, a.Version)
	}

	// Not yet stranded: the reconciler leaves it.
	if res, err := f.reconciler().Reconcile(t.Context()); err != nil || res.Requeued != 0 {
		t.Fatalf("Reconcile before %s = %+v, %v; want nothing re-queued", reconcileAfter, res, err)
	}
	f.clock.Advance(reconcileAfter + time.Second)
	if res, err := f.reconciler().Reconcile(t.Context()); err != nil || res != (review.ReconcileResult{Requeued: 1}) {
		t.Fatalf("Reconcile = %+v, %v; want the account re-queued", res, err)
	}
	if n, err := es.Poll(t.Context()); err != nil || n != 1 {
		t.Fatalf("poll after reconcile deleted %d (%v), want 1", n, err)
	}
	got := f.account(t, a.ID)
	if got.State != kyc.StatePendingReview || got.Version != a.Version+1 {
		t.Fatalf("account %s v%d %q, want PENDING_REVIEW v%d", got.State, got.Version, got.Reasons, a.Version+1)
	}
	for slot, c := range checks(got) {
		if c != "ok" {
			t.Errorf("document %s check %q, want ok", slot, c)
		}
	}
	if res, err := f.reconciler().Reconcile(t.Context()); err != nil || res.Requeued != 0 {
		t.Errorf("Reconcile after recovery = %+v, %v; want nothing left to re-queue", res, err)
	}
	wantEmpty(t, "queue", q)
	wantEmpty(t, "dead-letter queue", dlq)
}

// countAction counts the records of trail with action.
func countAction(trail []kyc.AuditRecord, action string) int {
	n := 0
	for _, r := range trail {
		if r.Action == action {
			n++
		}
	}
	return n
}
