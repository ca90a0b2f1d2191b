package outbox_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/outbox"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// verify checks a delivery with the spec's reference library, an implementation
// independent of ours.
func verify(t *testing.T, secret string, r received) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(r.body, r.header); err != nil {
		t.Errorf("reference library refused the delivery: %v (headers %v)", err, r.header)
	}
}

// An approval through the dispatcher reaches a registered receiver, signed, within
// seconds: the event the approval's transaction wrote, with ids and states only.
func TestApprovalDeliversSignedEvent(t *testing.T) {
	f := newFixture(t)
	rcv := newReceiver(t, http.StatusOK)
	ep, secrets := f.endpoint(t, rcv.URL+"/hook", false)
	a := f.pending(t)
	start := time.Now()
	approved := approve(t, outbox.NewStore(f.store, f.queue, nilLogger()), a)
	evID := webhook.EventID(a.ID, approved.Version)
	f.pump(t, f.worker.Handle, 10*time.Second, f.settled(t, ep.ID, evID))
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("delivered after %s, want within seconds", took)
	}
	got := rcv.got()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	verify(t, secrets[0], got[0])
	if id := got[0].header.Get("webhook-id"); id != evID {
		t.Errorf("webhook-id %q, want the event id %q", id, evID)
	}
	typ, data := body(t, got[0].body)
	if typ != webhook.AccountApproved || data["account_id"] != a.ID || data["state"] != "APPROVED" || data["previous_state"] != "PENDING_REVIEW" {
		t.Errorf("body %s", got[0].body)
	}
	d := f.delivery(t, ep.ID, evID)
	if d.State != webhook.DeliveryDelivered || d.Attempts != 1 || d.LastStatus != 200 {
		t.Errorf("delivery log %+v, want delivered at the first attempt", d)
	}
	if left, _ := f.store.ListOutboxBefore(t.Context(), time.Now().Add(time.Hour), 10); len(left) != 0 {
		t.Errorf("outbox still holds %v", left)
	}
}

// A receiver that fails twice then answers 200 gets the event three times with the same
// webhook-id, each attempt freshly timestamped and signed; the log counts the attempts.
func TestRetriesUntilDelivered(t *testing.T) {
	f := newFixture(t)
	rcv := newReceiver(t, 500, 503, 200)
	ep, secrets := f.endpoint(t, rcv.URL, false)
	a := f.pending(t)
	approved := approve(t, outbox.NewStore(f.store, f.queue, nilLogger()), a)
	evID := webhook.EventID(a.ID, approved.Version)
	f.pump(t, f.worker.Handle, 15*time.Second, f.settled(t, ep.ID, evID))
	got := rcv.got()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(got))
	}
	for _, r := range got {
		if r.header.Get("webhook-id") != evID {
			t.Errorf("webhook-id %q changed across retries (want %q)", r.header.Get("webhook-id"), evID)
		}
		verify(t, secrets[0], r)
	}
	d := f.delivery(t, ep.ID, evID)
	if d.State != webhook.DeliveryDelivered || d.Attempts != 3 || d.Failures != 2 || d.LastStatus != 200 {
		t.Errorf("delivery log %+v, want delivered at attempt 3 after 2 failures", d)
	}
}

// A receiver that never succeeds is tried once and on every retry of the schedule, then
// the delivery is failed; a 410 instead disables the endpoint after one attempt.
func TestScheduleEndsFailedAnd410Disables(t *testing.T) {
	f := newFixture(t)
	down := newReceiver(t, 500)
	gone := newReceiver(t, http.StatusGone)
	epDown, _ := f.endpoint(t, down.URL, false)
	epGone, _ := f.endpoint(t, gone.URL, false)
	a := f.pending(t)
	approved := approve(t, outbox.NewStore(f.store, f.queue, nilLogger()), a)
	evID := webhook.EventID(a.ID, approved.Version)
	f.pump(t, f.worker.Handle, 20*time.Second, func() bool {
		return f.settled(t, epDown.ID, evID)() && f.settled(t, epGone.ID, evID)()
	})
	if d := f.delivery(t, epDown.ID, evID); d.State != webhook.DeliveryFailed || d.Attempts != 4 || len(down.got()) != 4 {
		t.Errorf("down receiver: log %+v, %d requests; want failed after 1+3 attempts", d, len(down.got()))
	}
	d, ep, _ := f.store.GetDeliveryAndEndpoint(t.Context(), epGone.ID, evID)
	if d.State != webhook.DeliveryFailed || d.Attempts != 1 || d.LastStatus != 410 || !ep.Disabled {
		t.Errorf("410: log %+v, endpoint disabled %v; want failed at once and disabled", d, ep.Disabled)
	}
	// A disabled endpoint gets no more events.
	b := f.pending(t)
	approvedB := approve(t, outbox.NewStore(f.store, f.queue, nilLogger()), b)
	evB := webhook.EventID(b.ID, approvedB.Version)
	f.pump(t, f.worker.Handle, 15*time.Second, f.settled(t, epDown.ID, evB))
	if _, _, err := f.store.GetDeliveryAndEndpoint(t.Context(), epGone.ID, evB); kyc.ErrorCode(err) != kyc.ENOTFOUND {
		t.Errorf("disabled endpoint got a delivery: %v", err)
	}
	if len(gone.got()) != 1 {
		t.Errorf("disabled endpoint got %d requests, want the one that answered 410", len(gone.got()))
	}
}

// During a rotation's overlap both secrets sign: a receiver holding either verifies.
func TestRotationOverlapBothSign(t *testing.T) {
	f := newFixture(t)
	rcv := newReceiver(t, 200)
	ep, secrets := f.endpoint(t, rcv.URL, true)
	a := f.pending(t)
	approved := approve(t, outbox.NewStore(f.store, f.queue, nilLogger()), a)
	f.pump(t, f.worker.Handle, 10*time.Second, f.settled(t, ep.ID, webhook.EventID(a.ID, approved.Version)))
	got := rcv.got()
	if len(got) != 1 {
		t.Fatalf("%d requests", len(got))
	}
	if sigs := strings.Fields(got[0].header.Get("webhook-signature")); len(sigs) != 2 {
		t.Errorf("signature header %q, want two v1 signatures", got[0].header.Get("webhook-signature"))
	}
	verify(t, secrets[0], got[0]) // new
	verify(t, secrets[1], got[0]) // old, within its overlap
}

// A replay sends a delivered event again with the same webhook-id.
func TestReplayKeepsWebhookID(t *testing.T) {
	f := newFixture(t)
	rcv := newReceiver(t, 200)
	ep, secrets := f.endpoint(t, rcv.URL, false)
	a := f.pending(t)
	approved := approve(t, outbox.NewStore(f.store, f.queue, nilLogger()), a)
	evID := webhook.EventID(a.ID, approved.Version)
	f.pump(t, f.worker.Handle, 10*time.Second, f.settled(t, ep.ID, evID))
	d := f.delivery(t, ep.ID, evID)
	if _, err := outbox.Replay(t.Context(), f.store, f.queue, d, time.Now()); err != nil {
		t.Fatal(err)
	}
	f.pump(t, f.worker.Handle, 10*time.Second, func() bool { return len(rcv.got()) == 2 && f.settled(t, ep.ID, evID)() })
	got := rcv.got()
	if got[1].header.Get("webhook-id") != evID || string(got[1].body) != string(got[0].body) {
		t.Errorf("replay sent id %q body %s; want %q and the same body", got[1].header.Get("webhook-id"), got[1].body, evID)
	}
	verify(t, secrets[0], got[1])
	if d := f.delivery(t, ep.ID, evID); d.Attempts != 2 || d.State != webhook.DeliveryDelivered {
		t.Errorf("log after replay %+v", d)
	}
}

// SSRF at delivery: a name that resolves to loopback (an attacker's DNS record changed
// after registration) is refused before any connection when loopback is not allowed, and
// a name that passes the check but dials a forbidden address is refused by the dialer.
// Neither reaches the receiver, and the log names no address.
func TestSSRFRefusedAtDelivery(t *testing.T) {
	f := newFixture(t)
	rcv := newReceiver(t, 200)
	port := rcv.URL[strings.LastIndexByte(rcv.URL, ':'):]
	strict := webhook.Options{}
	for name, tc := range map[string]struct {
		resolver resolver
		url      string
		want     string
	}{
		"resolves to loopback": {resolver{"127.0.0.1"}, "https://hooks.example.com" + port + "/h", "url refused"},
		"resolves to private":  {resolver{"10.1.2.3"}, "https://hooks.example.com" + port + "/h", "url refused"},
		"dials loopback":       {resolver{"93.184.216.34"}, "https://localhost" + port + "/h", "address refused"},
	} {
		t.Run(name, func(t *testing.T) {
			w := *f.worker
			w.Options, w.Resolver, w.Client = strict, tc.resolver, webhook.NewClient(strict)
			w.Retry = func(int) (time.Duration, bool) { return 0, false }
			ep, _ := f.endpoint(t, tc.url, false)
			a := f.pending(t)
			approved := approve(t, outbox.NewStore(f.store, f.queue, nilLogger()), a)
			evID := webhook.EventID(a.ID, approved.Version)
			f.pump(t, w.Handle, 10*time.Second, f.settled(t, ep.ID, evID))
			d := f.delivery(t, ep.ID, evID)
			if d.State != webhook.DeliveryFailed || !strings.HasPrefix(d.LastError, tc.want) || strings.Contains(d.LastError, "127.0.0.1") {
				t.Errorf("log %+v, want failed with %q", d, tc.want)
			}
		})
	}
	if n := len(rcv.got()); n != 0 {
		t.Errorf("receiver reached %d times", n)
	}
}

// No decision is lost between the store and the queue: whatever fails after the
// approval's transaction commits, the sweeper finds the event or the delivery and the
// receiver gets it exactly once.
func TestNoLossFaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, f *fixture, a kyc.Account) kyc.Account
		// handler wraps the worker for faults inside it.
		handler func(f *fixture) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)
	}{
		{name: "dispatcher send fails", run: func(t *testing.T, f *fixture, a kyc.Account) kyc.Account {
			s := &faultySender{Sender: f.queue}
			s.fail.Store(1)
			return approve(t, outbox.NewStore(f.store, s, nilLogger()), a)
		}},
		{name: "process dies before dispatching", run: func(t *testing.T, f *fixture, a kyc.Account) kyc.Account {
			return approve(t, f.store, a)
		}},
		{name: "event sent twice (dispatcher and sweeper)", run: func(t *testing.T, f *fixture, a kyc.Account) kyc.Account {
			got := approve(t, outbox.NewStore(f.store, f.queue, nilLogger()), a)
			return got // the sweep below finds it too, before the worker runs
		}},
		{name: "fan-out fails before writing", run: dispatched, handler: func(f *fixture) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			w := *f.worker
			w.Store = &faultyStore{WorkerStore: f.store, failures: 1}
			return w.Handle
		}},
		{name: "fan-out lands, answer lost", run: dispatched, handler: func(f *fixture) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			w := *f.worker
			w.Store = &faultyStore{WorkerStore: f.store, failures: 1, afterWrite: true}
			return w.Handle
		}},
		{name: "delivery message lost", run: dispatched, handler: func(f *fixture) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			w := *f.worker
			s := &faultySender{Sender: f.queue}
			s.fail.Store(1)
			w.Queue = s
			return w.Handle
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			rcv := newReceiver(t, 200)
			ep, _ := f.endpoint(t, rcv.URL, false)
			a := f.pending(t)
			approved := tc.run(t, f, a)
			if approved.State != kyc.StateApproved {
				t.Fatalf("approval: %+v", approved)
			}
			evID := webhook.EventID(a.ID, approved.Version)
			handler := f.worker.Handle
			if tc.handler != nil {
				handler = tc.handler(f)
			}
			// The sweeper runs while the worker does (on AWS: a schedule).
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go f.sweeper.RunEvery(ctx, 300*time.Millisecond)
			f.pump(t, handler, 15*time.Second, f.settled(t, ep.ID, evID))
			// Let any duplicate message reach the worker: it must not deliver again.
			f.drain(t, handler, 2500*time.Millisecond)
			if n := len(rcv.got()); n != 1 {
				t.Errorf("receiver got the event %d times, want once", n)
			}
			if d := f.delivery(t, ep.ID, evID); d.State != webhook.DeliveryDelivered || d.Attempts != 1 {
				t.Errorf("log %+v, want delivered at one attempt", d)
			}
		})
	}
}

// dispatched approves through the dispatcher.
func dispatched(t *testing.T, f *fixture, a kyc.Account) kyc.Account {
	return approve(t, outbox.NewStore(f.store, f.queue, nilLogger()), a)
}

// faultyStore fails its first FanOut calls: before writing, or after (the write landed,
// the answer was lost).
type faultyStore struct {
	outbox.WorkerStore
	failures   int
	afterWrite bool
	mu         sync.Mutex
}

func (s *faultyStore) FanOut(ctx context.Context, ev webhook.OutboxEvent, ds []webhook.Delivery) error {
	s.mu.Lock()
	fail := s.failures > 0
	s.failures--
	s.mu.Unlock()
	if !fail {
		return s.WorkerStore.FanOut(ctx, ev, ds)
	}
	if s.afterWrite {
		if err := s.WorkerStore.FanOut(ctx, ev, ds); err != nil {
			return err
		}
	}
	return errInjected
}

// An integrator app's endpoint receives its own accounts' events and nobody else's;
// the platform's (admin) endpoint receives them all.
func TestAppEndpointsReceiveOwnAccountsOnly(t *testing.T) {
	f := newFixture(t)
	rcvA, rcvB, rcvAdmin := newReceiver(t, http.StatusOK), newReceiver(t, http.StatusOK), newReceiver(t, http.StatusOK)
	epA, secretsA := f.endpointOf(t, webhook.Owner{Kind: webhook.OwnerApp, ID: "rnk_appA"}, rcvA.URL+"/hook", false)
	f.endpointOf(t, webhook.Owner{Kind: webhook.OwnerApp, ID: "rnk_appB"}, rcvB.URL+"/hook", false)
	epAdmin, _ := f.endpoint(t, rcvAdmin.URL+"/hook", false)
	dispatcher := outbox.NewStore(f.store, f.queue, nilLogger())

	ofA := approve(t, dispatcher, f.pendingOf(t, "rnk_appA"))
	ofUser := approve(t, dispatcher, f.pending(t))
	evA, evUser := webhook.EventID(ofA.ID, ofA.Version), webhook.EventID(ofUser.ID, ofUser.Version)
	f.pump(t, f.worker.Handle, 10*time.Second, func() bool {
		return f.settled(t, epA.ID, evA)() && f.settled(t, epAdmin.ID, evA)() && f.settled(t, epAdmin.ID, evUser)()
	})
	f.drain(t, f.worker.Handle, 300*time.Millisecond)
	if got := rcvA.got(); len(got) != 1 || got[0].header.Get("webhook-id") != evA {
		t.Fatalf("app A's endpoint got %d requests, want its account's event only", len(got))
	} else {
		verify(t, secretsA[0], got[0])
	}
	if got := rcvB.got(); len(got) != 0 {
		t.Errorf("app B's endpoint got %d requests, want none (not its accounts)", len(got))
	}
	if got := rcvAdmin.got(); len(got) != 2 {
		t.Errorf("the admin endpoint got %d requests, want both events", len(got))
	}
}
