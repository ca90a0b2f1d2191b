// Package queuetest is the contract every kyc.Queue passes: the in-process queue of local
// mode and the SQS one (against fauxqs) run the same Run, so local mode cannot drift
// from AWS in what the review worker depends on.
//
// The suite takes a few seconds of wall time, not minutes: visibility timeouts are 1 s
// (SQS-compatible servers take whole seconds) and the subtests run in parallel, each on
// its own fresh pair of queues.
package queuetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Open returns a fresh, empty queue whose unreceived messages come back after visibility
// and move, on the receive after their maxReceives-th, to dlq (also fresh and empty).
// It registers any cleanup on t.
type Open func(t *testing.T, visibility time.Duration, maxReceives int) (q kyc.Queue, dlq kyc.Queue)

const (
	// vis is the visibility timeout of most subtests: the shortest SQS accepts.
	vis = time.Second
	// slack absorbs scheduling and HTTP round trips (under -race, on a busy machine)
	// in upper bounds on how long something takes.
	slack = 2 * time.Second
	// early is how much sooner than asked a timeout may seem to fire: emulators
	// round to milliseconds and start their clocks a little after we start ours.
	early = 150 * time.Millisecond
)

// Run runs the contract against the queues open makes.
func Run(t *testing.T, open Open) {
	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		q, _ := open(t, vis, 5)
		if err := q.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})

	t.Run("SendReceiveDelete", func(t *testing.T) {
		t.Parallel()
		q, _ := open(t, vis, 5)
		before := time.Now()
		id := send(t, q, `{"account_id":"a1"}`)
		after := time.Now()
		if id == "" {
			t.Fatal("Send returned an empty ID")
		}
		m := receiveOne(t, q, 2*time.Second)
		if m.ID != id || m.Body != `{"account_id":"a1"}` {
			t.Fatalf("received %+v, want ID %q and the body sent", m, id)
		}
		if m.ReceiptHandle == "" {
			t.Error("no receipt handle")
		}
		if m.ReceiveCount != 1 {
			t.Errorf("ReceiveCount = %d, want 1", m.ReceiveCount)
		}
		// SentTimestamp has millisecond resolution and comes from the server's clock.
		if m.SentAt.Before(before.Add(-time.Second)) || m.SentAt.After(after.Add(time.Second)) {
			t.Errorf("SentAt = %s, want between %s and %s", m.SentAt, before, after)
		}
		del(t, q, m.ReceiptHandle)
		// Deleting again with the same handle is not an error (SQS, and handlers that
		// retry after a lost response, rely on it).
		del(t, q, m.ReceiptHandle)
	})

	t.Run("DeletedNeverComesBack", func(t *testing.T) {
		t.Parallel()
		q, _ := open(t, vis, 5)
		send(t, q, "deleted")
		m := receiveOne(t, q, 2*time.Second)
		del(t, q, m.ReceiptHandle)
		// Wait out the visibility timeout it would have had, and then some.
		if got := receive(t, q, 10, vis+time.Second); len(got) != 0 {
			t.Fatalf("deleted message came back: %+v", got)
		}
	})

	t.Run("ComesBackAfterVisibilityTimeout", func(t *testing.T) {
		t.Parallel()
		q, _ := open(t, vis, 5)
		id := send(t, q, "undeleted")
		first := receiveOne(t, q, 2*time.Second)
		received := time.Now()
		if got := receive(t, q, 10, 0); len(got) != 0 {
			t.Fatalf("message visible again at once: %+v", got)
		}
		// The long poll must also notice a message coming back, not only new ones.
		second := receiveOne(t, q, vis+slack)
		if elapsed := time.Since(received); elapsed < vis-early {
			t.Errorf("came back after %s, before the %s visibility timeout", elapsed, vis)
		} else if elapsed > vis+time.Second {
			t.Errorf("came back after %s: the long poll slept past the %s visibility timeout", elapsed, vis)
		}
		if second.ID != id || second.Body != "undeleted" {
			t.Fatalf("received %+v, want message %s again", second, id)
		}
		if second.ReceiveCount != 2 {
			t.Errorf("ReceiveCount = %d, want 2", second.ReceiveCount)
		}
		if second.ReceiptHandle == first.ReceiptHandle {
			t.Error("a new receive kept the old receipt handle")
		}
		del(t, q, second.ReceiptHandle)
	})

	t.Run("StaleReceiptHandle", func(t *testing.T) {
		// SQS accepts an outdated handle and "might not" delete the message; both queues
		// here take the strict side, which this pins down: a worker whose lease ran out
		// cannot delete the message another worker now holds.
		t.Parallel()
		q, _ := open(t, vis, 5)
		id := send(t, q, "stale")
		first := receiveOne(t, q, 2*time.Second)
		second := receiveOne(t, q, vis+slack)
		if err := q.Delete(t.Context(), first.ReceiptHandle); err != nil {
			t.Fatalf("Delete with an outdated handle: %v, want no error as in SQS", err)
		}
		third := receiveOne(t, q, vis+slack)
		if third.ID != id || third.ReceiveCount != 3 {
			t.Fatalf("received %+v, want message %s with ReceiveCount 3", third, id)
		}
		del(t, q, second.ReceiptHandle) // outdated too now
		del(t, q, third.ReceiptHandle)
		if got := receive(t, q, 10, vis+time.Second); len(got) != 0 {
			t.Fatalf("message came back after Delete with its latest handle: %+v", got)
		}
	})

	t.Run("RedriveToDeadLetterQueue", func(t *testing.T) {
		t.Parallel()
		const maxReceives = 2
		q, dlq := open(t, vis, maxReceives)
		id := send(t, q, "poison")
		var sentAt time.Time
		for i := 1; i <= maxReceives; i++ {
			m := receiveOne(t, q, vis+slack)
			if m.ID != id || m.ReceiveCount != i {
				t.Fatalf("receive %d: got %+v, want message %s with ReceiveCount %d", i, m, id, i)
			}
			sentAt = m.SentAt
		}
		// SQS moves the message when a receive would exceed maxReceives, so this receive
		// (after the timeout) is what sends it to the DLQ; it must not return it.
		if got := receive(t, q, 10, vis+time.Second); len(got) != 0 {
			t.Fatalf("main queue returned the message after %d receives: %+v", maxReceives, got)
		}
		m := receiveOne(t, dlq, 2*time.Second)
		if m.ID != id || m.Body != "poison" {
			t.Fatalf("dead-letter queue returned %+v, want message %s", m, id)
		}
		if !m.SentAt.Equal(sentAt) {
			t.Errorf("SentAt in the DLQ = %s, want the original %s", m.SentAt, sentAt)
		}
		del(t, dlq, m.ReceiptHandle)
		if got := receive(t, q, 10, 0); len(got) != 0 {
			t.Fatalf("main queue still has the message: %+v", got)
		}
	})

	t.Run("BatchReceiveReturnsAtMostMax", func(t *testing.T) {
		t.Parallel()
		q, _ := open(t, 30*time.Second, 5) // nothing may come back while we count
		const n = 13
		for i := range n {
			send(t, q, fmt.Sprintf("m%d", i))
		}
		seen := map[string]bool{}
		take := func(asked, limit int) {
			t.Helper()
			got := receive(t, q, asked, 2*time.Second)
			if len(got) == 0 || len(got) > limit {
				t.Fatalf("Receive(max %d) returned %d messages, want 1..%d", asked, len(got), limit)
			}
			for _, m := range got {
				if seen[m.ID] {
					t.Fatalf("message %s delivered twice", m.ID)
				}
				seen[m.ID] = true
				del(t, q, m.ReceiptHandle)
			}
		}
		take(3, 3)
		take(0, 1)   // below the range: one
		take(-5, 1)  // likewise
		take(50, 10) // above the range: SQS's maximum of ten
		// SQS may hand out fewer than asked for; collect the rest.
		deadline := time.Now().Add(10 * time.Second)
		for len(seen) < n && time.Now().Before(deadline) {
			take(10, 10)
		}
		if len(seen) != n {
			t.Fatalf("received %d distinct messages, want %d", len(seen), n)
		}
	})

	t.Run("LongPollReturnsMessageSentWhileWaiting", func(t *testing.T) {
		t.Parallel()
		q, _ := open(t, vis, 5)
		const wait = 10 * time.Second
		type result struct {
			msgs []kyc.Message
			err  error
			took time.Duration
		}
		done := make(chan result, 1)
		go func() {
			start := time.Now()
			msgs, err := q.Receive(t.Context(), 10, wait)
			done <- result{msgs, err, time.Since(start)}
		}()
		time.Sleep(300 * time.Millisecond) // let the poll start waiting
		id := send(t, q, "late")
		r := <-done
		if r.err != nil {
			t.Fatalf("Receive: %v", r.err)
		}
		if len(r.msgs) != 1 || r.msgs[0].ID != id {
			t.Fatalf("long poll returned %+v, want message %s", r.msgs, id)
		}
		if r.took > wait/2 {
			t.Errorf("long poll took %s; it should return soon after the send", r.took)
		}
		del(t, q, r.msgs[0].ReceiptHandle)
	})

	t.Run("LongPollThatLosesTheMessageKeepsWaiting", func(t *testing.T) {
		// Two polls wait, one message arrives: the poll that does not get it must go on
		// waiting, not return empty at once (fauxqs does the latter; sqsqueue covers it).
		t.Parallel()
		q, _ := open(t, 30*time.Second, 5)
		const wait = 2 * time.Second
		type result struct {
			n    int
			err  error
			took time.Duration
		}
		done := make(chan result, 2)
		for range 2 {
			go func() {
				start := time.Now()
				msgs, err := q.Receive(t.Context(), 10, wait)
				done <- result{len(msgs), err, time.Since(start)}
			}()
		}
		time.Sleep(300 * time.Millisecond)
		send(t, q, "only one")
		a, b := <-done, <-done
		if a.err != nil || b.err != nil {
			t.Fatalf("Receive: %v, %v", a.err, b.err)
		}
		if a.n+b.n != 1 {
			t.Fatalf("the two polls received %d and %d messages, want 1 in all", a.n, b.n)
		}
		loser := b
		if b.n == 1 {
			loser = a
		}
		// Whole seconds on SQS-compatible servers: a retry may cover only what is left
		// rounded down, so allow up to a second less than wait.
		if loser.took < wait-time.Second-early {
			t.Errorf("the poll without a message returned after %s, want about %s", loser.took, wait)
		}
	})

	t.Run("EmptyQueueReturnsNoneAfterWait", func(t *testing.T) {
		t.Parallel()
		q, _ := open(t, vis, 5)
		const wait = time.Second
		start := time.Now()
		got := receive(t, q, 10, wait)
		took := time.Since(start)
		if len(got) != 0 {
			t.Fatalf("empty queue returned %+v", got)
		}
		if took < wait-early || took > wait+slack {
			t.Errorf("Receive on an empty queue took %s, want about %s", took, wait)
		}
	})

	t.Run("ReceiveHonoursContext", func(t *testing.T) {
		t.Parallel()
		q, _ := open(t, vis, 5)
		c, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		got, err := q.Receive(c, 10, 10*time.Second)
		if err == nil {
			t.Fatalf("Receive after its context ended: no error, messages %+v", got)
		}
		if took := time.Since(start); took > 300*time.Millisecond+slack {
			t.Errorf("Receive returned %s after its context ended", took)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Receive error %q does not wrap the context's error", err)
		}
	})

	t.Run("RefusesWhatSQSRefuses", func(t *testing.T) {
		t.Parallel()
		q, _ := open(t, vis, 5)
		for name, tc := range map[string]struct {
			body string
			code string
		}{
			"empty":        {"", kyc.EINVALID},
			"NUL":          {"a\x00b", kyc.EINVALID},
			"invalid UTF8": {"a\xffb", kyc.EINVALID},
			"over 1 MiB":   {strings.Repeat("x", 1<<20+1), kyc.ETOOLARGE},
		} {
			if _, err := q.Send(t.Context(), tc.body); kyc.ErrorCode(err) != tc.code {
				t.Errorf("Send(%s) = %v, want code %s", name, err, tc.code)
			}
		}
		// Only the Basic Multilingual Plane: SQS also allows U+10000 and up (an emoji, say)
		// but fauxqs refuses them, and review messages are ASCII JSON anyway.
		if _, err := q.Send(t.Context(), strings.Repeat("é", 100)+"\t\n\r实名\uE000\uFFFD"); err != nil {
			t.Errorf("Send with allowed characters: %v", err)
		}
		if err := q.Delete(t.Context(), ""); kyc.ErrorCode(err) != kyc.EINVALID {
			t.Errorf("Delete(\"\") = %v, want code %s", err, kyc.EINVALID)
		}
	})

	t.Run("ConcurrentReceiversGetEachMessageOnce", func(t *testing.T) {
		t.Parallel()
		// Visibility far longer than the test: any second delivery is a bug, not a
		// timeout.
		q, _ := open(t, 30*time.Second, 5)
		const n, receivers = 40, 4
		sent := map[string]bool{}
		for i := range n {
			sent[send(t, q, fmt.Sprintf("c%d", i))] = true
		}
		var (
			mu    sync.Mutex
			count = map[string]int{}
			total int
			errs  []error
			wg    sync.WaitGroup
		)
		deadline := time.Now().Add(20 * time.Second)
		for range receivers {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					mu.Lock()
					finished := total >= n
					mu.Unlock()
					if finished {
						return
					}
					msgs, err := q.Receive(t.Context(), 3, time.Second)
					if err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						return
					}
					for _, m := range msgs {
						mu.Lock()
						count[m.ID]++
						total++
						mu.Unlock()
						if err := q.Delete(t.Context(), m.ReceiptHandle); err != nil {
							mu.Lock()
							errs = append(errs, err)
							mu.Unlock()
							return
						}
					}
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			t.Error(err)
		}
		for id := range sent {
			if count[id] != 1 {
				t.Errorf("message %s delivered %d times, want once", id, count[id])
			}
		}
		if total != n {
			t.Errorf("%d deliveries in all, want %d", total, n)
		}
		if got := receive(t, q, 10, 0); len(got) != 0 {
			t.Errorf("queue not empty after all were deleted: %+v", got)
		}
	})
}

func send(t *testing.T, q kyc.Queue, body string) string {
	t.Helper()
	id, err := q.Send(t.Context(), body)
	if err != nil {
		t.Fatalf("Send(%q): %v", body, err)
	}
	return id
}

func receive(t *testing.T, q kyc.Queue, maxMessages int, wait time.Duration) []kyc.Message {
	t.Helper()
	msgs, err := q.Receive(t.Context(), maxMessages, wait)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return msgs
}

// receiveOne receives exactly one message within wait.
func receiveOne(t *testing.T, q kyc.Queue, wait time.Duration) kyc.Message {
	t.Helper()
	msgs := receive(t, q, 10, wait)
	if len(msgs) != 1 {
		t.Fatalf("received %d messages within %s, want 1: %+v", len(msgs), wait, msgs)
	}
	return msgs[0]
}

func del(t *testing.T, q kyc.Queue, receiptHandle string) {
	t.Helper()
	if err := q.Delete(t.Context(), receiptHandle); err != nil {
		t.Fatalf("Delete: %v", err)
	}
}
