package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/emulators"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/outbox"
	"github.com/realname-kyc/realname/pkg/secretbox"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// webhooksResult is the webhooks part: decisions delivered, signed, to a receiver on
// 127.0.0.1, end to end (approval through the dispatcher, fan-out, signed POST, the
// delivery recorded), on dynoxide and the in-process webhook queue.
type webhooksResult struct {
	Approvals  int     `json:"approvals"`
	Endpoints  int     `json:"endpoints"`
	Deliveries int64   `json:"deliveries"`
	Pollers    int     `json:"pollers"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"deliveries_per_second"`
}

// runWebhooks approves n accounts through the dispatcher with two admin endpoints
// registered, and measures how long until the receiver has every delivery.
func runWebhooks(ctx context.Context, n, pollers int) (webhooksResult, error) {
	const endpoints = 2
	dir, err := os.MkdirTemp("", "realname-bench-webhooks-")
	if err != nil {
		return webhooksResult{}, err
	}
	defer os.RemoveAll(dir)
	proc, err := emulators.StartDynoxide(ctx, "")
	if err != nil {
		return webhooksResult{}, err
	}
	defer proc.Stop()
	client, err := dynamo.NewLocalClient(ctx, proc.Endpoint)
	if err != nil {
		return webhooksResult{}, err
	}
	if err := dynamo.CreateTable(ctx, client, "bench-webhooks"); err != nil {
		return webhooksResult{}, err
	}
	store := dynamo.New(client, "bench-webhooks")
	box, err := secretbox.Open(filepath.Join(dir, "webhook.key"))
	if err != nil {
		return webhooksResult{}, err
	}
	var got atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	q := localqueue.New(localqueue.Options{Visibility: 30 * time.Second, MaxReceives: 5})
	wq := localqueue.Delayed{Queue: q}
	log := slog.New(slog.DiscardHandler)
	opts := webhook.Options{AllowLoopbackHTTP: true}
	eps := &outbox.Endpoints{Store: store, Box: box, Queue: wq, Options: opts, Clock: kyc.SystemClock{}, IDs: kyc.RandomIDs{}, Log: log}
	for i := range endpoints {
		if _, err := eps.Register(ctx, webhook.Owner{Kind: webhook.OwnerAdmin, ID: "bench"}, fmt.Sprintf("%s/hook%d", rcv.URL, i), nil); err != nil {
			return webhooksResult{}, err
		}
	}
	// The accounts, pending review (setup).
	accts := make([]kyc.Account, n)
	now := time.Now().UTC()
	for i := range accts {
		id := kyc.RandomIDs{}.NewID()
		u := kyc.User{ID: "u" + id, Phone: "p" + id, Role: kyc.RoleUser, AccountID: id, CreatedAt: now, UpdatedAt: now}
		a := kyc.Account{ID: id, OwnerID: u.ID, Type: kyc.PersonalAccount, State: kyc.StatePendingReview, CreatedAt: now, UpdatedAt: now}
		if _, err := store.CreateUser(ctx, u, a); err != nil {
			return webhooksResult{}, err
		}
		a.Version = 1
		accts[i] = a
	}
	worker := outbox.NewWorker(store, wq, box, opts, kyc.SystemClock{}, log)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range pollers {
		wg.Go(func() {
			for runCtx.Err() == nil {
				msgs, err := q.Receive(runCtx, 10, 100*time.Millisecond)
				if err != nil || len(msgs) == 0 {
					continue
				}
				var ev events.SQSEvent
				for _, m := range msgs {
					ev.Records = append(ev.Records, events.SQSMessage{MessageId: m.ID, Body: m.Body})
				}
				resp, _ := worker.Handle(runCtx, ev)
				failed := map[string]bool{}
				for _, f := range resp.BatchItemFailures {
					failed[f.ItemIdentifier] = true
				}
				for _, m := range msgs {
					if !failed[m.ID] {
						_ = q.Delete(runCtx, m.ReceiptHandle)
					}
				}
			}
		})
	}
	dispatching := outbox.NewStore(store, wq, log)
	start := time.Now()
	for _, a := range accts {
		t, err := kyc.Approve(a, kyc.Actor{ID: "bench-reviewer", Role: kyc.RoleReviewer}, time.Now().UTC())
		if err != nil {
			return webhooksResult{}, err
		}
		if _, err := dispatching.Transition(ctx, t); err != nil {
			return webhooksResult{}, err
		}
	}
	want := int64(n * endpoints)
	deadline := time.Now().Add(3 * time.Minute)
	for got.Load() < want {
		if time.Now().After(deadline) {
			cancel()
			wg.Wait()
			return webhooksResult{}, fmt.Errorf("webhooks: %d of %d deliveries after 3 minutes", got.Load(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	secs := time.Since(start).Seconds()
	cancel()
	wg.Wait()
	return webhooksResult{Approvals: n, Endpoints: endpoints, Deliveries: got.Load(), Pollers: pollers, Seconds: secs, PerSecond: float64(got.Load()) / secs}, nil
}

func (r webhooksResult) markdown(p func(string, ...any)) {
	p("## Webhooks: deliveries per second")
	p("")
	p("%d approvals through the dispatcher, each fanned out to %d admin endpoints and delivered signed to a receiver on 127.0.0.1 (dynoxide, the in-process webhook queue, %d pollers of 10 messages; the approvals' own time included): %d deliveries in %.2f s, **%.0f deliveries/s**.",
		r.Approvals, r.Endpoints, r.Pollers, r.Deliveries, r.Seconds, r.PerSecond)
	p("Per delivery the worker makes 2 DynamoDB calls (TransactGetItems, TransactWriteItems), per event 2 (Query, TransactWriteItems); see the calls part.")
}
