// Package review is the review worker: it takes submissions off the review queue, runs
// the automated checks and moves each account on to PENDING_REVIEW (or, once the checks
// of DOMAIN.md are in, to REJECTED), reporting per-message failures so that only those
// are retried.
package review

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// Worker handles batches of review-queue messages.
type Worker struct {
	svc *app.Services
}

// NewWorker returns a worker over svc.
func NewWorker(svc *app.Services) *Worker { return &Worker{svc: svc} }

// Handle processes an SQS batch. A message that failed for a reason a retry may cure is
// listed in BatchItemFailures (the event source mapping has ReportBatchItemFailures), so
// only it comes back; after the queue's maximum receives it lands in the dead-letter queue.
func (w *Worker) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		ctx = app.WithRequestID(ctx, lc.AwsRequestID)
	}
	var resp events.SQSEventResponse
	for _, rec := range ev.Records {
		if err := w.process(ctx, rec); err != nil {
			w.svc.Log.ErrorContext(ctx, "review: message failed", slog.String("message_id", rec.MessageId), slog.String("error", err.Error()))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

// process handles one message. Returning nil means "done, delete it": that includes
// messages that are stale (the account moved on), which makes redelivery harmless.
func (w *Worker) process(ctx context.Context, rec events.SQSMessage) error {
	var msg kyc.ReviewMessage
	if err := json.Unmarshal([]byte(rec.Body), &msg); err != nil || msg.AccountID == "" {
		// Kept failing so it ends in the dead-letter queue where an operator can see it.
		return fmt.Errorf("malformed review message")
	}
	acct, err := w.svc.Store.GetAccount(ctx, msg.AccountID)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		w.svc.Log.WarnContext(ctx, "review: account not found, message dropped", slog.String("account_id", msg.AccountID))
		return nil
	} else if err != nil {
		return fmt.Errorf("load account: %w", err)
	}
	if acct.State != kyc.StateSubmitted || acct.Version != msg.Version {
		return nil // already handled by an earlier delivery or superseded by a resubmission
	}
	next := acct
	next.UpdatedAt = w.svc.Clock.Now()
	reasons, err := w.check(ctx, acct)
	if err != nil {
		return err
	}
	audit := kyc.AuditRecord{AccountID: acct.ID, At: next.UpdatedAt, Actor: "system", Action: "automated_checks", From: acct.State}
	if len(reasons) == 0 {
		next.State = kyc.StatePendingReview
	} else {
		next.State, next.RejectType, next.Reasons = kyc.StateRejected, kyc.RejectRetry, reasons
	}
	audit.To = next.State
	_, err = w.svc.Store.Transition(ctx, kyc.Transition{Account: next, FromState: acct.State, FromVersion: acct.Version, Audit: audit})
	if kyc.IsCode(err, kyc.ECONFLICT) {
		return nil // another delivery won the race; nothing is decided twice
	}
	if err != nil {
		return fmt.Errorf("transition account: %w", err)
	}
	return nil
}

// check runs the automated checks and returns machine-readable reasons for a rejection.
// For now: every recorded document must exist in the document store with its recorded
// size. Format, checksum and duplicate checks belong to the review pipeline issue.
func (w *Worker) check(ctx context.Context, acct kyc.Account) ([]string, error) {
	var reasons []string
	for _, slot := range slices.Sorted(maps.Keys(acct.Documents)) {
		doc := acct.Documents[slot]
		info, err := w.svc.Docs.Head(ctx, doc.Key)
		switch {
		case kyc.IsCode(err, kyc.ENOTFOUND):
			reasons = append(reasons, "document_missing:"+slot)
		case err != nil:
			return nil, fmt.Errorf("head document: %w", err)
		case doc.Size > 0 && info.Size != doc.Size:
			reasons = append(reasons, "corrupt:"+slot)
		}
	}
	return reasons, nil
}
