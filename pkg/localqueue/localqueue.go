// Package localqueue is the review queue of local mode: an in-process kyc.Queue that keeps
// the SQS semantics the review worker relies on, so code tested locally behaves the same
// on AWS. Only cmd/ and tests import it; no Lambda links it.
//
// What it copies from SQS (standard queue), and what it leaves out:
//   - A received message is hidden for the visibility timeout; unless deleted it then
//     comes back with ReceiveCount one higher and a new receipt handle.
//   - Delete takes the receipt handle of the latest receive. An older handle is accepted
//     and does nothing: SQS documents that such a request "will succeed, but the message
//     might not be deleted", and this queue (like fauxqs) takes the strict side, so a
//     worker whose lease ran out cannot delete a message another worker now holds.
//     Deleting twice, or a handle this queue never issued, also succeeds.
//   - Redrive happens the way SQS does it: on the receive that would be receive number
//     MaxReceives+1, the message moves to the dead-letter queue instead of being
//     returned. It keeps its ID, body and sent time there, and (as in fauxqs) its
//     receive count, which goes on counting.
//   - Receive long-polls: it returns as soon as a message is visible (sent, or back from
//     its visibility timeout), else after wait, else when ctx ends.
//   - No delivery delays, retention period, FIFO, attributes or ChangeMessageVisibility:
//     the kyc.Queue interface does not expose them.
//
// Unlike SQS it never delivers a message twice while it is hidden and never returns
// fewer messages than are visible, which SQS may do; callers must not rely on either.
// Messages live in memory and are lost when the process exits.
package localqueue

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// DefaultVisibility is SQS's default visibility timeout, used when Options.Visibility is 0.
const DefaultVisibility = 30 * time.Second

// MaxBodyBytes is SQS's largest message body (1 MiB).
const MaxBodyBytes = kyc.MaxQueueBodyBytes

// Options configure a Queue. The zero value is a queue with a 30 s visibility timeout
// and no dead-letter queue.
type Options struct {
	// Visibility is how long a received message stays hidden. 0 (or less) means
	// DefaultVisibility.
	Visibility time.Duration
	// MaxReceives is the redrive policy's maxReceiveCount: a message received this many
	// times without being deleted moves to DeadLetter on its next receive. It has effect
	// only with a DeadLetter, as SQS has no redrive without a target.
	MaxReceives int
	// DeadLetter receives the messages that exceeded MaxReceives. It must be created
	// first, so a queue can never be (indirectly) its own dead-letter queue.
	DeadLetter *Queue
}

// Queue is an in-memory kyc.Queue. It is safe for concurrent use and starts no
// goroutines: receivers wait on a timer and a channel, so nothing outlives a call.
type Queue struct {
	visibility  time.Duration
	maxReceives int
	deadLetter  *Queue

	mu  sync.Mutex
	seq uint64 // arrival order, so re-visible messages are delivered oldest first
	// ready holds visible messages, oldest first. Deleted ones stay until they reach
	// the front (Delete of a re-visible message would otherwise cost a linear search).
	ready []*message
	// hidden maps the latest receipt handle to a message inside its visibility timeout.
	hidden map[string]*message
	// revisible maps the latest receipt handle to a message whose timeout ran out but
	// which nobody received again yet: SQS still deletes it with that handle.
	revisible map[string]*message
	// wake is closed (and replaced) when a message becomes visible, to end long polls.
	wake chan struct{}
}

var _ kyc.Queue = (*Queue)(nil)

type message struct {
	id           string
	body         string
	sentAt       time.Time
	seq          uint64
	receiveCount int
	receipt      string    // handle of the latest receive, "" before the first
	hiddenUntil  time.Time // meaningful while the message is in hidden
	deleted      bool
}

// New returns an empty queue.
func New(opts Options) *Queue {
	vis := opts.Visibility
	if vis <= 0 {
		vis = DefaultVisibility
	}
	return &Queue{
		visibility:  vis,
		maxReceives: opts.MaxReceives,
		deadLetter:  opts.DeadLetter,
		hidden:      make(map[string]*message),
		revisible:   make(map[string]*message),
		wake:        make(chan struct{}),
	}
}

// Ping always succeeds unless ctx has ended: the queue lives in this process.
func (q *Queue) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("localqueue: ping: %w", err)
	}
	return nil
}

// Send adds a message and returns its ID. It refuses what SQS refuses: an empty body,
// characters outside the XML character set SQS allows (EINVALID), and bodies over 1 MiB
// (ETOOLARGE).
func (q *Queue) Send(ctx context.Context, body string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("localqueue: send: %w", err)
	}
	if err := kyc.CheckQueueBody(body); err != nil {
		return "", err
	}
	id := rand.Text()
	q.mu.Lock()
	q.push(&message{id: id, body: body, sentAt: time.Now()})
	q.mu.Unlock()
	return id, nil
}

// Receive returns up to max messages (clamped to 1..10), waiting up to wait for the
// first one. It returns no messages and no error when wait passes, and ctx's error when
// ctx ends first.
func (q *Queue) Receive(ctx context.Context, maxMessages int, wait time.Duration) ([]kyc.Message, error) {
	maxMessages = min(max(maxMessages, 1), 10)
	deadline := time.Now().Add(wait)
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("localqueue: receive: %w", err)
		}
		now := time.Now()
		q.mu.Lock()
		msgs, dead, nextVisible := q.take(now, maxMessages)
		wake := q.wake // read under the lock, so a Send after take cannot be missed
		q.mu.Unlock()
		// Outside our lock: the dead-letter queue takes its own, and holding both would
		// order two locks for nothing.
		for _, m := range dead {
			q.deadLetter.adopt(m)
		}
		if len(msgs) > 0 {
			return msgs, nil
		}
		left := deadline.Sub(now)
		if left <= 0 {
			return nil, nil
		}
		// A hidden message coming back is not announced on wake; sleep only until then.
		if !nextVisible.IsZero() {
			left = min(left, nextVisible.Sub(now))
		}
		timer := time.NewTimer(left)
		select {
		case <-wake:
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
	}
}

// Delete removes the message received with receiptHandle. A handle that is not the
// latest for a message still in the queue is accepted and does nothing (see the package
// comment); an empty one is EINVALID.
func (q *Queue) Delete(ctx context.Context, receiptHandle string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("localqueue: delete: %w", err)
	}
	if receiptHandle == "" {
		return kyc.FieldError(kyc.EINVALID, "receipt_handle", "must not be empty")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if m, ok := q.hidden[receiptHandle]; ok {
		delete(q.hidden, receiptHandle)
		m.deleted = true
		return nil
	}
	if m, ok := q.revisible[receiptHandle]; ok {
		delete(q.revisible, receiptHandle)
		m.deleted = true // skipped when it reaches the front of ready
	}
	return nil
}

// push appends m to the visible messages and wakes the long polls. q.mu must be held.
func (q *Queue) push(m *message) {
	q.seq++
	m.seq = q.seq
	q.ready = append(q.ready, m)
	close(q.wake)
	q.wake = make(chan struct{})
}

// adopt takes a message redriven from another queue, keeping what SQS keeps.
func (q *Queue) adopt(from *message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.push(&message{id: from.id, body: from.body, sentAt: from.sentAt, receiveCount: from.receiveCount})
}

// take makes expired messages visible again, then hands out up to n visible ones.
// It returns the messages to redrive (the caller moves them without holding q.mu) and
// when the next hidden message becomes visible (zero if none is hidden). q.mu must be
// held.
func (q *Queue) take(now time.Time, n int) (out []kyc.Message, dead []*message, nextVisible time.Time) {
	nextVisible = q.expire(now)
	for len(out) < n && len(q.ready) > 0 {
		m := q.ready[0]
		q.ready[0] = nil // let the garbage collector have deleted messages
		q.ready = q.ready[1:]
		if m.deleted {
			continue
		}
		if m.receipt != "" {
			delete(q.revisible, m.receipt) // a new receive retires the old handle
		}
		m.receiveCount++
		if q.deadLetter != nil && q.maxReceives > 0 && m.receiveCount > q.maxReceives {
			m.deleted = true
			dead = append(dead, m)
			continue
		}
		m.receipt = rand.Text()
		m.hiddenUntil = now.Add(q.visibility)
		q.hidden[m.receipt] = m
		out = append(out, kyc.Message{
			ID:            m.id,
			Body:          m.body,
			ReceiptHandle: m.receipt,
			ReceiveCount:  m.receiveCount,
			SentAt:        m.sentAt,
		})
	}
	if len(out) > 0 {
		nextVisible = time.Time{} // the caller returns at once and does not need it
	}
	return out, dead, nextVisible
}

// expire moves hidden messages whose timeout has run out back to ready (oldest sent
// first) and returns the earliest time a still-hidden one comes back. q.mu must be held.
func (q *Queue) expire(now time.Time) (nextVisible time.Time) {
	var back []*message
	for h, m := range q.hidden {
		if now.Before(m.hiddenUntil) {
			if nextVisible.IsZero() || m.hiddenUntil.Before(nextVisible) {
				nextVisible = m.hiddenUntil
			}
			continue
		}
		delete(q.hidden, h)
		q.revisible[h] = m
		back = append(back, m)
	}
	if len(back) == 0 {
		return nextVisible
	}
	slices.SortFunc(back, func(a, b *message) int { return cmp.Compare(a.seq, b.seq) })
	// Put them ahead of newer arrivals: SQS standard queues order best-effort by age.
	q.ready = append(back, q.ready...)
	return nextVisible
}
