package dynamo_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// approveTx is a reviewer's approval of a as the review service makes it.
func approveTx(t *testing.T, a kyc.Account, at time.Time) kyc.Transition {
	t.Helper()
	tr, err := kyc.Approve(a, kyc.Actor{ID: "reviewer-1", Role: kyc.RoleReviewer}, at)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestTransitionWritesOutbox: an approval writes its event in the outbox within the same
// transaction and the same single call; a transition that announces nothing writes none;
// a transition that fails (lost race) writes none either.
func TestTransitionWritesOutbox(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		table := d.table(t)
		s := d.countingStore(table)
		ctx := t.Context()
		at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		u, a := mkUser(1, kyc.PersonalAccount)
		if _, err := s.CreateUser(ctx, u, a); err != nil {
			t.Fatal(err)
		}
		a.Version = 1
		a = move(t, s, a, kyc.StateSubmitted, at)
		a = move(t, s, a, kyc.StatePendingReview, at) // action "transition": no event
		s.take()
		tr := approveTx(t, a, at.Add(time.Minute))
		approved, err := s.Transition(ctx, tr)
		if err != nil {
			t.Fatal(err)
		}
		if calls := s.take(); !slices.Equal(calls, []string{"TransactWriteItems"}) {
			t.Errorf("approval made calls %v, want one TransactWriteItems", calls)
		}
		// The loser of a race writes nothing, its event neither.
		if _, err := s.Transition(ctx, tr); kyc.ErrorCode(err) != kyc.ECONFLICT {
			t.Fatalf("second approval: %v, want ECONFLICT", err)
		}
		evs, err := s.ListOutboxBefore(ctx, at.Add(time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		wantID := webhook.EventID(a.ID, approved.Version)
		if len(evs) != 1 || evs[0].ID != wantID || evs[0].Type != webhook.AccountApproved || evs[0].AccountID != a.ID {
			t.Fatalf("outbox = %+v, want the one approval event %s", evs, wantID)
		}
		if !evs[0].At.Equal(at.Add(time.Minute)) || len(evs[0].Body) == 0 {
			t.Errorf("event at %s body %q", evs[0].At, evs[0].Body)
		}
		// Before the event's time it is not due.
		if early, _ := s.ListOutboxBefore(ctx, at, 10); len(early) != 0 {
			t.Errorf("outbox before the event = %+v, want none", early)
		}
		// Accounts in SUBMITTED are still listed apart from the outbox in the same index.
		if subs, err := s.ListSubmittedBefore(ctx, at.Add(time.Hour), 10); err != nil || len(subs) != 0 {
			t.Errorf("ListSubmittedBefore = %v, %v; want none (the outbox shares the index)", subs, err)
		}
	})
}

// TestFanOutOnce: of two fan-outs of one event, exactly one writes its deliveries and
// removes the event from the outbox; the other is ECONFLICT and writes nothing.
func TestFanOutOnce(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := d.store(t)
		ctx := t.Context()
		at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		u, a := mkUser(1, kyc.PersonalAccount)
		if _, err := s.CreateUser(ctx, u, a); err != nil {
			t.Fatal(err)
		}
		a.Version = 1
		a = move(t, s, a, kyc.StateSubmitted, at)
		a = move(t, s, a, kyc.StatePendingReview, at)
		if _, err := s.Transition(ctx, approveTx(t, a, at)); err != nil {
			t.Fatal(err)
		}
		evs, err := s.ListOutboxBefore(ctx, at.Add(time.Second), 10)
		if err != nil || len(evs) != 1 {
			t.Fatalf("outbox %v, %v", evs, err)
		}
		ev := evs[0]
		for _, id := range []string{"ep1", "ep2"} {
			if _, err := s.PutEndpoint(ctx, webhook.Endpoint{ID: id, Owner: webhook.Owner{Kind: webhook.OwnerAdmin, ID: "admin-1"},
				URL: "https://example.com/hook", Secrets: []webhook.SealedSecret{{Sealed: []byte("sealed")}}, CreatedAt: at, UpdatedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		deliveries := func(ep string) webhook.Delivery {
			return webhook.Delivery{EndpointID: ep, EventID: ev.ID, EventType: ev.Type, Body: ev.Body,
				State: webhook.DeliveryPending, NextAt: at, CreatedAt: at, UpdatedAt: at}
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() {
				errs[i] = s.FanOut(ctx, ev, []webhook.Delivery{deliveries("ep1"), deliveries("ep2")})
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case kyc.ErrorCode(err) != kyc.ECONFLICT:
				t.Errorf("fan-out: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("fan-outs won %d (%v), want 1", won, errs)
		}
		if left, _ := s.ListOutboxBefore(ctx, at.Add(time.Hour), 10); len(left) != 0 {
			t.Errorf("outbox after fan-out = %v", left)
		}
		due, err := s.ListDueDeliveries(ctx, at.Add(time.Second), 10)
		if err != nil || len(due) != 2 {
			t.Fatalf("due deliveries %v, %v; want 2", due, err)
		}
		got, ep, err := s.GetDeliveryAndEndpoint(ctx, "ep1", ev.ID)
		if err != nil || got.State != webhook.DeliveryPending || ep.ID != "ep1" || string(got.Body) != string(ev.Body) {
			t.Fatalf("delivery %+v endpoint %+v: %v", got, ep, err)
		}
		// An attempt recorded, the endpoint disabled with it (410); a stale copy conflicts.
		done := got
		done.State, done.Attempts, done.LastStatus = webhook.DeliveryFailed, 1, 410
		if _, err := s.RecordAttempt(ctx, done, &ep); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordAttempt(ctx, done, nil); kyc.ErrorCode(err) != kyc.ECONFLICT {
			t.Errorf("stale RecordAttempt: %v, want ECONFLICT", err)
		}
		got, ep, _ = s.GetDeliveryAndEndpoint(ctx, "ep1", ev.ID)
		if got.State != webhook.DeliveryFailed || got.LastStatus != 410 || !ep.Disabled {
			t.Errorf("after 410: delivery %+v, endpoint disabled %v", got, ep.Disabled)
		}
		if due, _ := s.ListDueDeliveries(ctx, at.Add(time.Second), 10); len(due) != 1 || due[0].EndpointID != "ep2" {
			t.Errorf("due after one failed for good = %+v, want ep2's only", due)
		}
		_, log, err := s.GetEndpointAndDeliveries(ctx, "ep1", 10)
		if err != nil || len(log) != 1 || log[0].Attempts != 1 {
			t.Errorf("delivery log %+v, %v", log, err)
		}
		if _, _, err := s.GetDeliveryAndEndpoint(ctx, "ep1", "evt_none_1"); kyc.ErrorCode(err) != kyc.ENOTFOUND {
			t.Errorf("missing delivery: %v", err)
		}
	})
}

// TestEndpointLifecycle: create once, list, update at its version only, secrets
// (sealed bytes and overlap ends) round-trip, delete at its version.
func TestEndpointLifecycle(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := d.store(t)
		ctx := t.Context()
		at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		e := webhook.Endpoint{ID: "ep1", Owner: webhook.Owner{Kind: webhook.OwnerApp, ID: "app-1"}, URL: "https://example.com/h",
			Events: []string{webhook.AccountApproved}, Secrets: []webhook.SealedSecret{{Sealed: []byte{1, 2, 3}}}, CreatedAt: at, UpdatedAt: at}
		e, err := s.PutEndpoint(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutEndpoint(ctx, e); kyc.ErrorCode(err) != kyc.EEXISTS {
			t.Errorf("second PutEndpoint: %v, want EEXISTS", err)
		}
		rotated := e
		rotated.Secrets = []webhook.SealedSecret{{Sealed: []byte{4}}, {Sealed: []byte{1, 2, 3}, NotAfter: at.Add(24 * time.Hour)}}
		if rotated, err = s.UpdateEndpoint(ctx, rotated); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateEndpoint(ctx, e); kyc.ErrorCode(err) != kyc.ECONFLICT {
			t.Errorf("stale update: %v, want ECONFLICT", err)
		}
		got, err := s.GetEndpoint(ctx, "ep1")
		if err != nil || len(got.Secrets) != 2 || !got.Secrets[1].NotAfter.Equal(at.Add(24*time.Hour)) || !got.Secrets[0].NotAfter.IsZero() ||
			got.Owner != e.Owner || !slices.Equal(got.Events, e.Events) || got.Version != 2 {
			t.Fatalf("endpoint %+v, %v", got, err)
		}
		all, err := s.ListEndpoints(ctx)
		if err != nil || len(all) != 1 {
			t.Fatalf("ListEndpoints %v, %v", all, err)
		}
		if err := s.DeleteEndpoint(ctx, "ep1", 1); kyc.ErrorCode(err) != kyc.ECONFLICT {
			t.Errorf("stale delete: %v", err)
		}
		if err := s.DeleteEndpoint(ctx, "ep1", rotated.Version); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetEndpoint(ctx, "ep1"); !errors.Is(err, err) || kyc.ErrorCode(err) != kyc.ENOTFOUND {
			t.Errorf("deleted endpoint: %v", err)
		}
		if err := s.DeleteEndpoint(ctx, "ep1", rotated.Version); kyc.ErrorCode(err) != kyc.ENOTFOUND {
			t.Errorf("delete again: %v", err)
		}
	})
}
