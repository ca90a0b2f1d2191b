package localrun_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/localrun"
)

const (
	visibility = time.Second
	queueARN   = "arn:aws:sqs:us-east-1:000000000000:review-test"
)

// batchFunc is a stand-in SQS function: it records every event and fails the records
// whose body is in failBodies, or the whole invocation when failAll is set.
type batchFunc struct {
	mu         sync.Mutex
	failBodies map[string]bool
	failAll    bool
	seen       []events.SQSEvent
}

func (b *batchFunc) handle(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seen = append(b.seen, ev)
	if b.failAll {
		return events.SQSEventResponse{}, errors.New("function failed")
	}
	var resp events.SQSEventResponse
	for _, r := range ev.Records {
		if b.failBodies[r.Body] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
	}
	return resp, nil
}

func newSource(q kyc.Queue, f *batchFunc) localrun.EventSource {
	return localrun.EventSource{
		Queue:     q,
		Handler:   lambdafn.Typed[events.SQSEvent, events.SQSEventResponse](f.handle),
		BatchSize: 10,
		Wait:      time.Second,
		QueueARN:  queueARN,
		Log:       quiet(),
	}
}

func send(t *testing.T, q kyc.Queue, bodies ...string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, b := range bodies {
		id, err := q.Send(t.Context(), b)
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		ids[b] = id
	}
	return ids
}

func bodies(msgs []kyc.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Body)
	}
	slices.Sort(out)
	return out
}

func TestEventSourcePartialBatchFailure(t *testing.T) {
	t.Parallel()
	q := localqueue.New(localqueue.Options{Visibility: visibility})
	ids := send(t, q, "ok-1", "bad", "ok-2")
	f := &batchFunc{failBodies: map[string]bool{"bad": true}}
	es := newSource(q, f)

	deleted, err := es.Poll(t.Context())
	if err != nil || deleted != 2 {
		t.Fatalf("Poll = %d, %v; want 2 deleted", deleted, err)
	}
	// The event is what Lambda's event source mapping sends.
	if len(f.seen) != 1 || len(f.seen[0].Records) != 3 {
		t.Fatalf("function saw %+v; want one event of 3 records", f.seen)
	}
	for _, r := range f.seen[0].Records {
		if r.MessageId != ids[r.Body] || r.ReceiptHandle == "" || r.EventSource != "aws:sqs" || r.EventSourceARN != queueARN || r.AWSRegion == "" {
			t.Errorf("record = %+v", r)
		}
		if r.Attributes["ApproximateReceiveCount"] != "1" {
			t.Errorf("ApproximateReceiveCount = %q, want 1", r.Attributes["ApproximateReceiveCount"])
		}
		if ms, err := strconv.ParseInt(r.Attributes["SentTimestamp"], 10, 64); err != nil || time.Since(time.UnixMilli(ms)) > time.Minute {
			t.Errorf("SentTimestamp = %q", r.Attributes["SentTimestamp"])
		}
	}

	// Hidden for the visibility timeout...
	if msgs, err := q.Receive(t.Context(), 10, 0); err != nil || len(msgs) != 0 {
		t.Fatalf("before the timeout: Receive = %v, %v; want nothing", bodies(msgs), err)
	}
	// ...then only the failed one comes back, received a second time.
	msgs, err := q.Receive(t.Context(), 10, visibility+2*time.Second)
	if err != nil || len(msgs) != 1 || msgs[0].Body != "bad" || msgs[0].ReceiveCount != 2 || msgs[0].ID != ids["bad"] {
		t.Fatalf("after the timeout: Receive = %+v, %v; want only \"bad\" with ReceiveCount 2", msgs, err)
	}
	if err := q.Delete(t.Context(), msgs[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	// The deleted ones never come back.
	if msgs, err := q.Receive(t.Context(), 10, visibility+200*time.Millisecond); err != nil || len(msgs) != 0 {
		t.Fatalf("later: Receive = %v, %v; want nothing", bodies(msgs), err)
	}
}

func TestEventSourceFunctionErrorKeepsBatch(t *testing.T) {
	t.Parallel()
	q := localqueue.New(localqueue.Options{Visibility: visibility})
	send(t, q, "a", "b", "c")
	f := &batchFunc{failAll: true}
	es := newSource(q, f)

	deleted, err := es.Poll(t.Context())
	if err == nil || deleted != 0 {
		t.Fatalf("Poll = %d, %v; want an error and nothing deleted", deleted, err)
	}
	msgs, err := q.Receive(t.Context(), 10, visibility+2*time.Second)
	if err != nil || !slices.Equal(bodies(msgs), []string{"a", "b", "c"}) {
		t.Fatalf("after the timeout: Receive = %v, %v; want the whole batch back", bodies(msgs), err)
	}
	for _, m := range msgs {
		if m.ReceiveCount != 2 {
			t.Errorf("%s: ReceiveCount = %d, want 2", m.Body, m.ReceiveCount)
		}
	}
}

func TestEventSourceAllSucceed(t *testing.T) {
	t.Parallel()
	q := localqueue.New(localqueue.Options{Visibility: visibility})
	send(t, q, "x", "y")
	f := &batchFunc{}
	es := newSource(q, f)
	if deleted, err := es.Poll(t.Context()); err != nil || deleted != 2 {
		t.Fatalf("Poll = %d, %v; want 2", deleted, err)
	}
	if msgs, err := q.Receive(t.Context(), 10, visibility+200*time.Millisecond); err != nil || len(msgs) != 0 {
		t.Fatalf("Receive = %v, %v; want nothing", bodies(msgs), err)
	}
}

func TestEventSourceEmptyQueue(t *testing.T) {
	t.Parallel()
	q := localqueue.New(localqueue.Options{Visibility: visibility})
	f := &batchFunc{}
	es := newSource(q, f)
	es.Wait = 50 * time.Millisecond
	if deleted, err := es.Poll(t.Context()); err != nil || deleted != 0 {
		t.Fatalf("Poll = %d, %v; want 0, nil", deleted, err)
	}
	if len(f.seen) != 0 {
		t.Errorf("function invoked with no messages: %+v", f.seen)
	}
}

func TestEventSourceBatchSize(t *testing.T) {
	t.Parallel()
	q := localqueue.New(localqueue.Options{Visibility: visibility})
	send(t, q, "1", "2", "3", "4", "5")
	f := &batchFunc{}
	es := newSource(q, f)
	es.BatchSize = 2
	if deleted, err := es.Poll(t.Context()); err != nil || deleted != 2 {
		t.Fatalf("Poll = %d, %v; want a batch of 2", deleted, err)
	}
	if len(f.seen) != 1 || len(f.seen[0].Records) != 2 {
		t.Errorf("function saw %+v; want one event of 2 records", f.seen)
	}
}

// Run keeps polling until its context ends, and a failed message ends up processed by a
// later poll.
func TestEventSourceRun(t *testing.T) {
	t.Parallel()
	q := localqueue.New(localqueue.Options{Visibility: visibility})
	send(t, q, "first", "second")
	f := &batchFunc{}
	es := newSource(q, f)
	es.Wait = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { es.Run(ctx); close(done) }()

	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		n := 0
		for _, ev := range f.seen {
			n += len(ev.Records)
		}
		f.mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Run handled %d messages in 5s, want 2", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	send(t, q, "third")
	deadline = time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		last := f.seen[len(f.seen)-1]
		f.mu.Unlock()
		if len(last.Records) == 1 && last.Records[0].Body == "third" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not pick up a message sent later")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestEventSourceReceiveError(t *testing.T) {
	q := localqueue.New(localqueue.Options{Visibility: visibility})
	send(t, q, "kept")
	f := &batchFunc{}
	es := newSource(q, f)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if deleted, err := es.Poll(ctx); err == nil || deleted != 0 {
		t.Fatalf("Poll with an ended context = %d, %v; want an error", deleted, err)
	}
	if len(f.seen) != 0 {
		t.Errorf("function invoked: %+v", f.seen)
	}
}
