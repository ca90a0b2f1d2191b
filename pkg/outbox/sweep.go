package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// SweepAfter is how old an outbox event or an overdue delivery must be before the sweeper
// queues it: long enough that the dispatcher's own message (or the hop chain's) has
// arrived when things work, so a sweep rarely duplicates one.
const SweepAfter = time.Minute

// SweepBatch bounds one run's work per list; the next run takes the rest.
const SweepBatch = 100

// SweeperStore is what the sweeper reads; *dynamo.Store is one.
type SweeperStore interface {
	ListOutboxBefore(ctx context.Context, t time.Time, limit int) ([]webhook.OutboxEvent, error)
	ListDueDeliveries(ctx context.Context, t time.Time, limit int) ([]webhook.Delivery, error)
}

// Sweeper queues outbox events nobody queued and deliveries whose message was lost.
type Sweeper struct {
	Store SweeperStore
	Queue Sender
	Clock kyc.Clock
	Log   *slog.Logger
	// After is SweepAfter unless set (tests).
	After time.Duration
}

// SweepResult is what a run reports.
type SweepResult struct {
	Events     int `json:"events"`
	Deliveries int `json:"deliveries"`
	Failed     int `json:"failed"`
}

// Sweep runs once: two Queries (one per list), then one send per item found.
func (s *Sweeper) Sweep(ctx context.Context) (SweepResult, error) {
	after := s.After
	if after <= 0 {
		after = SweepAfter
	}
	before := s.Clock.Now().Add(-after)
	var res SweepResult
	evs, err := s.Store.ListOutboxBefore(ctx, before, SweepBatch)
	if err != nil {
		return res, fmt.Errorf("sweep outbox: %w", err)
	}
	for _, ev := range evs {
		if err := send(ctx, s.Queue, eventMessage(ev), 0); err != nil {
			res.Failed++
			continue
		}
		res.Events++
	}
	ds, err := s.Store.ListDueDeliveries(ctx, before, SweepBatch)
	if err != nil {
		return res, fmt.Errorf("sweep deliveries: %w", err)
	}
	for _, d := range ds {
		if err := send(ctx, s.Queue, deliveryMessage(d), 0); err != nil {
			res.Failed++
			continue
		}
		res.Deliveries++
	}
	s.Log.InfoContext(ctx, "webhook sweep", slog.Int("events", res.Events), slog.Int("deliveries", res.Deliveries), slog.Int("failed", res.Failed))
	if res.Failed > 0 {
		return res, fmt.Errorf("webhook sweep: %d sends failed", res.Failed)
	}
	return res, nil
}

// HandleSchedule is the sweeper as a scheduled function's handler.
func (s *Sweeper) HandleSchedule(ctx context.Context, _ json.RawMessage) (SweepResult, error) {
	return s.Sweep(ctx)
}

// RunEvery sweeps now and every interval until ctx ends (the local runner's schedule).
func (s *Sweeper) RunEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.Log.ErrorContext(ctx, "webhook sweep", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
