// Package sqsqueue is the review queue on Amazon SQS (or an SQS-compatible emulator):
// a kyc.Queue over one standard queue whose redrive policy names a dead-letter queue.
package sqsqueue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// MaxBodyBytes is SQS's largest message body (1 MiB).
const MaxBodyBytes = kyc.MaxQueueBodyBytes

// maxWait is the longest long poll SQS accepts in one ReceiveMessage call.
const maxWait = 20 * time.Second

// Queue is a kyc.Queue on one SQS queue. It is safe for concurrent use, as the client is.
type Queue struct {
	client *sqs.Client
	url    string
}

var _ kyc.Queue = (*Queue)(nil)

// New returns the queue at queueURL. The redrive policy and visibility timeout belong to
// the queue itself (template.yaml, or CreateQueues for emulators), not to this value.
func New(client *sqs.Client, queueURL string) *Queue {
	return &Queue{client: client, url: queueURL}
}

// Ping checks that the queue exists and we may read it: the cheapest call that needs
// both, and the same permission the worker already has.
func (q *Queue) Ping(ctx context.Context) error {
	_, err := q.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(q.url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return fmt.Errorf("sqs ping %s: %w", q.url, err)
	}
	return nil
}

// Send enqueues body and returns the message ID. Bodies SQS would refuse are refused
// here first with a domain error: empty or with disallowed characters (EINVALID), over
// 1 MiB (ETOOLARGE).
func (q *Queue) Send(ctx context.Context, body string) (string, error) {
	if err := kyc.CheckQueueBody(body); err != nil {
		return "", err
	}
	out, err := q.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(q.url),
		MessageBody: aws.String(body),
	})
	if err != nil {
		return "", fmt.Errorf("sqs send to %s: %w", q.url, err)
	}
	return aws.ToString(out.MessageId), nil
}

// Receive long-polls for up to maxMessages messages (clamped to 1..10).
//
// SQS takes the wait in whole seconds, at most 20: wait is rounded down, except that a
// positive wait under a second becomes one second (rounding it to 0 would turn the long
// poll into a short poll, which on SQS may miss messages that are there). A longer wait
// is served by several calls. A call that comes back empty while at least a second is
// left is repeated: SQS does not do that, but fauxqs wakes every waiting poll when one
// message arrives and the ones that lose the race return empty at once.
func (q *Queue) Receive(ctx context.Context, maxMessages int, wait time.Duration) ([]kyc.Message, error) {
	maxMessages = min(max(maxMessages, 1), 10)
	deadline := time.Now().Add(wait)
	secs := waitSeconds(wait)
	if wait > 0 && secs == 0 {
		secs = 1
	}
	for {
		out, err := q.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(q.url),
			MaxNumberOfMessages: int32(maxMessages),
			WaitTimeSeconds:     int32(secs),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{
				types.MessageSystemAttributeNameApproximateReceiveCount,
				types.MessageSystemAttributeNameSentTimestamp,
			},
		})
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
				// Make sure callers can tell "told to stop" from "SQS failed".
				err = fmt.Errorf("%w (%w)", ctxErr, err)
			}
			return nil, fmt.Errorf("sqs receive from %s: %w", q.url, err)
		}
		if len(out.Messages) > 0 {
			return convert(out.Messages), nil
		}
		secs = waitSeconds(time.Until(deadline))
		if secs == 0 {
			return nil, nil
		}
	}
}

// Delete deletes the message received with receiptHandle. SQS accepts an outdated
// handle of a message received again since, and may or may not delete the message.
func (q *Queue) Delete(ctx context.Context, receiptHandle string) error {
	if receiptHandle == "" {
		return kyc.FieldError(kyc.EINVALID, "receipt_handle", "must not be empty")
	}
	_, err := q.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{
		QueueUrl:      aws.String(q.url),
		ReceiptHandle: aws.String(receiptHandle),
	})
	if err != nil {
		var invalid *types.ReceiptHandleIsInvalid
		if errors.As(err, &invalid) {
			return kyc.FieldError(kyc.EINVALID, "receipt_handle", "is not a receipt handle of this queue")
		}
		return fmt.Errorf("sqs delete from %s: %w", q.url, err)
	}
	return nil
}

// waitSeconds is d in whole seconds, rounded down, within SQS's 0..20.
func waitSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(min(d, maxWait) / time.Second)
}

func convert(in []types.Message) []kyc.Message {
	out := make([]kyc.Message, 0, len(in))
	for _, m := range in {
		msg := kyc.Message{
			ID:            aws.ToString(m.MessageId),
			Body:          aws.ToString(m.Body),
			ReceiptHandle: aws.ToString(m.ReceiptHandle),
		}
		// The attributes are informational (the worker logs them and may give up on a
		// message early); a missing or odd one must not lose the message, so it stays 0.
		if n, err := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)]); err == nil {
			msg.ReceiveCount = n
		}
		if ms, err := strconv.ParseInt(m.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64); err == nil {
			msg.SentAt = time.UnixMilli(ms)
		}
		out = append(out, msg)
	}
	return out
}
