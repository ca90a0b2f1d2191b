package outbox

import (
	"context"
	"log/slog"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// Store is a kyc.Store whose transitions queue their event as soon as they commit: the
// dispatcher. It wraps the two store methods that write transitions; every other method
// is the wrapped store's. The send needs no DynamoDB call, so a decision costs the calls
// it cost before.
//
// A send that fails is logged, not returned: the decision is written, and so is its event
// (in the outbox, in the same transaction), which the sweeper queues a minute later.
type Store struct {
	kyc.Store
	queue Sender
	log   *slog.Logger
}

// NewStore returns s dispatching to q.
func NewStore(s kyc.Store, q Sender, log *slog.Logger) *Store {
	return &Store{Store: s, queue: q, log: log}
}

// Transition is the wrapped store's, then queues the event it announces.
func (s *Store) Transition(ctx context.Context, t kyc.Transition) (kyc.Account, error) {
	a, err := s.Store.Transition(ctx, t)
	if err == nil {
		s.dispatch(ctx, t)
	}
	return a, err
}

// DecideChange is the wrapped store's, then queues the event it announces.
func (s *Store) DecideChange(ctx context.Context, t kyc.Transition, c kyc.EnterpriseChange) (kyc.Account, error) {
	a, err := s.Store.DecideChange(ctx, t, c)
	if err == nil {
		s.dispatch(ctx, t)
	}
	return a, err
}

func (s *Store) dispatch(ctx context.Context, t kyc.Transition) {
	ev, ok, err := webhook.OutboxOf(t)
	if err != nil || !ok {
		return // the store refused such a transition already; nothing to send
	}
	// The request may be answered and its context cancelled; the send still goes.
	if err := send(context.WithoutCancel(ctx), s.queue, eventMessage(ev), 0); err != nil {
		s.log.WarnContext(ctx, "webhook event not queued: the sweeper will", slog.String("event_id", ev.ID), slog.String("error", err.Error()))
	}
}

// Dispatch queues events a caller wrote to the outbox in a committed transaction of its
// own (a hosted verification's end writes verification.completed beside the
// transition's event), as Store does for transitions. A nil queue or a failed send
// leaves the event to the sweeper.
func Dispatch(ctx context.Context, q Sender, log *slog.Logger, evs ...webhook.OutboxEvent) {
	if q == nil {
		return
	}
	for _, ev := range evs {
		if err := send(context.WithoutCancel(ctx), q, eventMessage(ev), 0); err != nil {
			log.WarnContext(ctx, "webhook event not queued: the sweeper will", slog.String("event_id", ev.ID), slog.String("error", err.Error()))
		}
	}
}
