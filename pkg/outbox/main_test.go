package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/emulators"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/outbox"
	"github.com/realname-kyc/realname/pkg/secretbox"
	"github.com/realname-kyc/realname/pkg/sqsqueue"
	"github.com/realname-kyc/realname/pkg/testenv"
	"github.com/realname-kyc/realname/pkg/webhook"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fauxqs is started once per test binary, on first use, and stopped when Main ends.
var fauxqs struct {
	once   sync.Once
	client *sqs.Client
	err    error
}

func sqsClient(t *testing.T) *sqs.Client {
	t.Helper()
	fauxqs.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		proc, err := emulators.StartFauxqs(ctx)
		if err != nil {
			fauxqs.err = err
			return
		}
		testenv.AtExit(proc.Stop)
		fauxqs.client, fauxqs.err = sqsqueue.NewEndpointClient(ctx, sqsqueue.Endpoint{URL: proc.Endpoint})
	})
	if fauxqs.err != nil {
		t.Fatalf("fauxqs: %v", fauxqs.err)
	}
	return fauxqs.client
}

var queueSeq atomic.Int64

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// newQueue is a fresh webhook queue on fauxqs (visibility 1 s, 5 receives then the DLQ).
func newQueue(t *testing.T) *sqsqueue.Queue {
	t.Helper()
	c := sqsClient(t)
	name := unsafeName.ReplaceAllString(t.Name(), "_")
	if len(name) > 60 {
		name = name[len(name)-60:]
	}
	url, _, err := sqsqueue.CreateQueues(t.Context(), c, fmt.Sprintf("%s-%d", name, queueSeq.Add(1)), time.Second, 5)
	if err != nil {
		t.Fatal(err)
	}
	return sqsqueue.New(c, url)
}

// receiver is a webhook receiver on 127.0.0.1 answering with the statuses of answers in
// turn (the last one from then on), recording every request.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	answers  []int
	requests []received
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{answers: answers}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, received{req.Header.Clone(), body})
		status := r.answers[min(len(r.requests), len(r.answers))-1]
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.requests...)
}

// fixture is the machinery of one test: the store on dynoxide, the webhook queue on
// fauxqs, a file-key secret box, the dispatcher, the sweeper and the worker.
type fixture struct {
	store   *dynamo.Store
	queue   *sqsqueue.Queue
	box     *secretbox.FileBox
	worker  *outbox.Worker
	sweeper *outbox.Sweeper
	log     *testenv.SyncBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	box, err := secretbox.Open(filepath.Join(t.TempDir(), "webhook.key"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: testenv.Store(t), queue: newQueue(t), box: box, log: &testenv.SyncBuffer{}}
	log := slog.New(slog.NewJSONHandler(f.log, nil))
	opts := webhook.Options{AllowLoopbackHTTP: true}
	f.worker = outbox.NewWorker(f.store, f.queue, box, opts, kyc.SystemClock{}, log)
	// A short schedule: 3 retries 200 ms apart, then failed.
	f.worker.Retry = func(failed int) (time.Duration, bool) { return 200 * time.Millisecond, failed <= 3 }
	f.sweeper = &outbox.Sweeper{Store: f.store, Queue: f.queue, Clock: kyc.SystemClock{}, Log: log, After: time.Millisecond}
	return f
}

// endpoint registers an admin endpoint at url with new secrets (the current one first),
// returning it and the secrets in the clear.
func (f *fixture) endpoint(t *testing.T, url string, overlap bool) (webhook.Endpoint, []string) {
	t.Helper()
	return f.endpointOf(t, webhook.Owner{Kind: webhook.OwnerAdmin, ID: "admin"}, url, overlap)
}

// endpointOf is endpoint for another owner.
func (f *fixture) endpointOf(t *testing.T, owner webhook.Owner, url string, overlap bool) (webhook.Endpoint, []string) {
	t.Helper()
	id := kyc.RandomIDs{}.NewID()
	var plain []string
	var sealed []webhook.SealedSecret
	for i := range 1 + btoi(overlap) {
		s, err := webhook.NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.box.Seal(t.Context(), id, []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		sec := webhook.SealedSecret{Sealed: b}
		if i > 0 {
			sec.NotAfter = time.Now().Add(webhook.RotationOverlap)
		}
		plain, sealed = append(plain, s), append(sealed, sec)
	}
	now := time.Now()
	e, err := f.store.PutEndpoint(t.Context(), webhook.Endpoint{ID: id, Owner: owner,
		URL: url, Secrets: sealed, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	return e, plain
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pending makes an account waiting for review and returns it.
func (f *fixture) pending(t *testing.T) kyc.Account {
	t.Helper()
	return f.pendingOf(t, "")
}

// pendingOf is pending for an account the integrator app owns ("": a user's).
func (f *fixture) pendingOf(t *testing.T, app string) kyc.Account {
	t.Helper()
	ctx := t.Context()
	n := queueSeq.Add(1)
	now := time.Now().UTC()
	u := kyc.User{ID: fmt.Sprintf("u%d", n), Phone: fmt.Sprintf("p%d", n), Role: kyc.RoleUser, AccountID: kyc.RandomIDs{}.NewID(), CreatedAt: now, UpdatedAt: now}
	a := kyc.Account{ID: u.AccountID, OwnerID: u.ID, Type: kyc.PersonalAccount, State: kyc.StatePendingReview, CreatedAt: now, UpdatedAt: now}
	if app != "" {
		a.OwnerKind, a.OwnerID = kyc.OwnerIntegrator, app
	}
	if _, err := f.store.CreateUser(ctx, u, a); err != nil {
		t.Fatal(err)
	}
	a.Version = 1
	return a
}

// approve approves a through store (the dispatcher, or the bare store: a process that
// died before dispatching).
func approve(t *testing.T, store interface {
	Transition(context.Context, kyc.Transition) (kyc.Account, error)
}, a kyc.Account) kyc.Account {
	t.Helper()
	tr, err := kyc.Approve(a, kyc.Actor{ID: "reviewer", Role: kyc.RoleReviewer}, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.Transition(t.Context(), tr)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// pump receives the queue's messages and hands them to handler as the SQS event source
// does (deleting those not reported as failures) until done or the timeout.
func (f *fixture) pump(t *testing.T, handler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error), timeout time.Duration, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("not done within %s; worker log:\n%s", timeout, f.log.String())
		}
		msgs, err := f.queue.Receive(t.Context(), 10, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			continue
		}
		var ev events.SQSEvent
		for _, m := range msgs {
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: m.ID, Body: m.Body, ReceiptHandle: m.ReceiptHandle})
		}
		resp, err := handler(t.Context(), ev)
		if err != nil {
			continue // the whole batch comes back
		}
		failed := map[string]bool{}
		for _, fl := range resp.BatchItemFailures {
			failed[fl.ItemIdentifier] = true
		}
		for _, m := range msgs {
			if !failed[m.ID] {
				if err := f.queue.Delete(t.Context(), m.ReceiptHandle); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// drain pumps for d, whatever happens.
func (f *fixture) drain(t *testing.T, handler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error), d time.Duration) {
	t.Helper()
	end := time.Now().Add(d)
	f.pump(t, handler, d+time.Second, func() bool { return time.Now().After(end) })
}

func nilLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// delivery reads the delivery log entry of event on endpoint.
func (f *fixture) delivery(t *testing.T, endpointID, eventID string) webhook.Delivery {
	t.Helper()
	d, _, err := f.store.GetDeliveryAndEndpoint(t.Context(), endpointID, eventID)
	if err != nil {
		t.Fatalf("delivery %s: %v", eventID, err)
	}
	return d
}

func (f *fixture) settled(t *testing.T, endpointID, eventID string) func() bool {
	return func() bool {
		d, _, err := f.store.GetDeliveryAndEndpoint(t.Context(), endpointID, eventID)
		return err == nil && d.State != webhook.DeliveryPending
	}
}

// body decodes a delivered body.
func body(t *testing.T, b []byte) (typ string, data map[string]string) {
	t.Helper()
	var v struct {
		Type      string            `json:"type"`
		Timestamp string            `json:"timestamp"`
		Data      map[string]string `json:"data"`
	}
	if err := json.Unmarshal(b, &v); err != nil || v.Timestamp == "" {
		t.Fatalf("body %s: %v", b, err)
	}
	return v.Type, v.Data
}

// faultySender fails its first n sends.
type faultySender struct {
	outbox.Sender
	fail atomic.Int32
}

func (s *faultySender) SendDelayed(ctx context.Context, b string, d time.Duration) error {
	if s.fail.Add(-1) >= 0 {
		return errInjected
	}
	return s.Sender.SendDelayed(ctx, b, d)
}

var errInjected = errors.New("injected fault")

// resolver answers every name with addrs (a DNS record an attacker controls).
type resolver []string

func (r resolver) LookupIPAddr(context.Context, string) ([]net.IPAddr, error) {
	var out []net.IPAddr
	for _, a := range r {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	return out, nil
}
