package localrun

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// EventSource feeds a function from a queue like Lambda's SQS event source mapping: it
// receives batches, invokes the function with an SQS event, deletes the messages that
// succeeded and leaves the ones named in BatchItemFailures (or the whole batch, if the
// function failed) to come back after the visibility timeout.
type EventSource struct {
	Queue     kyc.Queue
	Handler   lambda.Handler
	BatchSize int
	Wait      time.Duration
	QueueARN  string
	Log       *slog.Logger
}

// Run polls until ctx ends.
func (e EventSource) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if _, err := e.Poll(ctx); err != nil && ctx.Err() == nil {
			e.Log.Error("event source: poll failed", slog.String("error", err.Error()))
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// Poll receives and handles one batch and returns how many messages it deleted.
func (e EventSource) Poll(ctx context.Context) (int, error) {
	msgs, err := e.Queue.Receive(ctx, e.BatchSize, e.Wait)
	if err != nil {
		return 0, fmt.Errorf("receive: %w", err)
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, m := range msgs {
		ev.Records[i] = events.SQSMessage{
			MessageId:     m.ID,
			ReceiptHandle: m.ReceiptHandle,
			Body:          m.Body,
			Attributes: map[string]string{
				"ApproximateReceiveCount": strconv.Itoa(m.ReceiveCount),
				"SentTimestamp":           strconv.FormatInt(m.SentAt.UnixMilli(), 10),
			},
			EventSource:    "aws:sqs",
			EventSourceARN: e.QueueARN,
			AWSRegion:      "us-east-1",
		}
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return 0, fmt.Errorf("encode event: %w", err)
	}
	out, err := e.Handler.Invoke(ctx, payload)
	if err != nil {
		// A function error fails the whole batch: every message comes back.
		return 0, fmt.Errorf("function failed, batch of %d left for redelivery: %w", len(msgs), err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return 0, fmt.Errorf("decode batch response: %w", err)
	}
	inBatch := map[string]bool{}
	for _, m := range msgs {
		inBatch[m.ID] = true
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		// Lambda treats a failure naming no message of the batch as a failed batch.
		if !inBatch[f.ItemIdentifier] {
			return 0, fmt.Errorf("batch response names unknown message %q, batch of %d left for redelivery", f.ItemIdentifier, len(msgs))
		}
		failed[f.ItemIdentifier] = true
	}
	deleted := 0
	for _, m := range msgs {
		if failed[m.ID] {
			continue
		}
		if err := e.Queue.Delete(ctx, m.ReceiptHandle); err != nil {
			return deleted, fmt.Errorf("delete message: %w", err)
		}
		deleted++
	}
	return deleted, nil
}
