package localqueue_test

import (
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/queuetest"
)

func TestContract(t *testing.T) {
	queuetest.Run(t, func(t *testing.T, visibility time.Duration, maxReceives int) (kyc.Queue, kyc.Queue) {
		dlq := localqueue.New(localqueue.Options{Visibility: visibility})
		return localqueue.New(localqueue.Options{Visibility: visibility, MaxReceives: maxReceives, DeadLetter: dlq}), dlq
	})
}

// SQS deletes a message whose visibility timeout ran out with its latest receipt handle,
// as long as nobody received it again; so must we.
func TestDeleteAfterTimeoutBeforeNextReceive(t *testing.T) {
	q := localqueue.New(localqueue.Options{Visibility: 50 * time.Millisecond})
	if _, err := q.Send(t.Context(), "late delete"); err != nil {
		t.Fatal(err)
	}
	msgs, err := q.Receive(t.Context(), 1, time.Second)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Receive = %v, %v; want one message", msgs, err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := q.Delete(t.Context(), msgs[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	if got, err := q.Receive(t.Context(), 10, 200*time.Millisecond); err != nil || len(got) != 0 {
		t.Fatalf("after Delete: Receive = %+v, %v; want nothing", got, err)
	}
}

// Without a dead-letter queue nothing is redriven, whatever MaxReceives says (as in SQS,
// where a redrive policy needs a target).
func TestNoDeadLetterQueueKeepsMessage(t *testing.T) {
	q := localqueue.New(localqueue.Options{Visibility: 20 * time.Millisecond, MaxReceives: 1})
	if _, err := q.Send(t.Context(), "kept"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		msgs, err := q.Receive(t.Context(), 1, time.Second)
		if err != nil || len(msgs) != 1 || msgs[0].ReceiveCount != i {
			t.Fatalf("receive %d: %+v, %v; want the message with ReceiveCount %d", i, msgs, err, i)
		}
	}
}

// A zero Visibility means SQS's default, not "visible again at once".
func TestDefaultVisibility(t *testing.T) {
	q := localqueue.New(localqueue.Options{})
	if _, err := q.Send(t.Context(), "x"); err != nil {
		t.Fatal(err)
	}
	if msgs, err := q.Receive(t.Context(), 1, 0); err != nil || len(msgs) != 1 {
		t.Fatalf("Receive = %+v, %v", msgs, err)
	}
	if msgs, err := q.Receive(t.Context(), 1, 50*time.Millisecond); err != nil || len(msgs) != 0 {
		t.Fatalf("message visible again right away: %+v, %v", msgs, err)
	}
}
