package review

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// ReconcileBatch is how many stranded accounts one run re-queues at most; the next run
// takes the rest.
const ReconcileBatch = 100

// ReconcilerStore is how the reconciler finds stranded submissions; any kyc.Store is one.
type ReconcilerStore interface {
	ListSubmittedBefore(ctx context.Context, t time.Time, limit int) ([]kyc.Account, error)
}

// ReconcilerQueue is the review queue as the reconciler uses it; any kyc.Queue is one.
type ReconcilerQueue interface {
	Send(ctx context.Context, body string) (id string, err error)
}

// ReconcilerDeps are what the reconciler is built from. Every field is required.
type ReconcilerDeps struct {
	Store ReconcilerStore
	Queue ReconcilerQueue
	Clock kyc.Clock
	// Log records each run and each failed re-queue.
	Log *slog.Logger
	// After is how long an account may stay SUBMITTED before it is queued again
	// (RECONCILE_AFTER); it should be positive, since an account submitted less than After
	// ago still has its own message on the way.
	After time.Duration
}

// Reconciler re-queues submissions left SUBMITTED: the reconciler function's handler and
// the local runner's stand-in for its schedule.
type Reconciler struct {
	store ReconcilerStore
	queue ReconcilerQueue
	clock kyc.Clock
	log   *slog.Logger
	after time.Duration
}

// NewReconciler returns a reconciler over d.
func NewReconciler(d ReconcilerDeps) *Reconciler {
	return &Reconciler{store: d.Store, queue: d.Queue, clock: d.Clock, log: d.Log, after: d.After}
}

// ReconcileResult is what a reconciler run reports.
type ReconcileResult struct {
	Requeued int `json:"requeued"`
	Failed   int `json:"failed"`
}

// Reconcile re-queues accounts that have been SUBMITTED for longer than the configured
// threshold: their message was never sent, was lost, or is in the dead-letter queue. The
// worker ignores a message for an account that has moved on, so a second message for an
// account that is in fact being checked is harmless.
func (r *Reconciler) Reconcile(ctx context.Context) (ReconcileResult, error) {
	before := r.clock.Now().Add(-r.after)
	accts, err := r.store.ListSubmittedBefore(ctx, before, ReconcileBatch)
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("list stranded submissions: %w", err)
	}
	var res ReconcileResult
	for _, a := range accts {
		body, _ := json.Marshal(kyc.ReviewMessage{AccountID: a.ID, Version: a.Version})
		if _, err := r.queue.Send(ctx, string(body)); err != nil {
			res.Failed++
			r.log.ErrorContext(ctx, "reconciler: re-queue failed", slog.String("account_id", a.ID), slog.String("error", err.Error()))
			continue
		}
		res.Requeued++
	}
	r.log.InfoContext(ctx, "reconciler run", slog.Int("requeued", res.Requeued), slog.Int("failed", res.Failed),
		slog.Duration("older_than", r.after))
	if res.Failed > 0 {
		return res, fmt.Errorf("reconciler: %d of %d re-queues failed", res.Failed, len(accts))
	}
	return res, nil
}

// HandleSchedule is the reconciler function's handler for its EventBridge schedule; the
// event itself carries nothing it needs.
func (r *Reconciler) HandleSchedule(ctx context.Context, _ json.RawMessage) (ReconcileResult, error) {
	return r.Reconcile(ctx)
}

// RunEvery runs Reconcile now and then every interval until ctx ends (the local runner's
// stand-in for the schedule).
func (r *Reconciler) RunEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := r.Reconcile(ctx); err != nil && ctx.Err() == nil {
			r.log.ErrorContext(ctx, "reconciler", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
