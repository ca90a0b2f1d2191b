package sqsqueue

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// maxDelay is SQS's longest DelaySeconds.
const maxDelay = 15 * time.Minute

// SendDelayed enqueues body to be delivered after delay, rounded up to a whole second and
// clamped to 0..15 minutes (SQS's range): the webhook queue chains longer delays
// (pkg/outbox). Bodies are checked as Send checks them.
func (q *Queue) SendDelayed(ctx context.Context, body string, delay time.Duration) error {
	if err := kyc.CheckQueueBody(body); err != nil {
		return err
	}
	secs := int32(0)
	if delay > 0 {
		delay = min(delay, maxDelay)
		secs = int32((delay + time.Second - 1) / time.Second)
	}
	_, err := q.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:     aws.String(q.url),
		MessageBody:  aws.String(body),
		DelaySeconds: secs,
	})
	if err != nil {
		return fmt.Errorf("sqs send to %s: %w", q.url, err)
	}
	return nil
}
