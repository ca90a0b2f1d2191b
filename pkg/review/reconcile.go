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

// ReconcileResult is what a reconciler run reports.
type ReconcileResult struct {
	Requeued int `json:"requeued"`
	Failed   int `json:"failed"`
}

// Reconcile re-queues accounts that have been SUBMITTED for longer than the configured
// threshold: their message was never sent, was lost, or is in the dead-letter queue. The
// worker ignores a message for an account that has moved on, so a second message for an
// account that is in fact being checked is harmless.
func (w *Worker) Reconcile(ctx context.Context) (ReconcileResult, error) {
	before := w.svc.Clock.Now().Add(-w.svc.ReconcileAfter)
	accts, err := w.svc.Store.ListSubmittedBefore(ctx, before, ReconcileBatch)
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("list stranded submissions: %w", err)
	}
	var res ReconcileResult
	for _, a := range accts {
		body, _ := json.Marshal(kyc.ReviewMessage{AccountID: a.ID, Version: a.Version})
		if _, err := w.svc.Queue.Send(ctx, string(body)); err != nil {
			res.Failed++
			w.svc.Log.ErrorContext(ctx, "reconciler: re-queue failed", slog.String("account_id", a.ID), slog.String("error", err.Error()))
			continue
		}
		res.Requeued++
	}
	w.svc.Log.InfoContext(ctx, "reconciler run", slog.Int("requeued", res.Requeued), slog.Int("failed", res.Failed),
		slog.Duration("older_than", w.svc.ReconcileAfter))
	if res.Failed > 0 {
		return res, fmt.Errorf("reconciler: %d of %d re-queues failed", res.Failed, len(accts))
	}
	return res, nil
}

// HandleSchedule is the reconciler function's handler for its EventBridge schedule; the
// event itself carries nothing it needs.
func (w *Worker) HandleSchedule(ctx context.Context, _ json.RawMessage) (ReconcileResult, error) {
	return w.Reconcile(ctx)
}

// RunEvery runs Reconcile now and then every interval until ctx ends (the local runner's
// stand-in for the schedule).
func (w *Worker) RunEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := w.Reconcile(ctx); err != nil && ctx.Err() == nil {
			w.svc.Log.ErrorContext(ctx, "reconciler", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
