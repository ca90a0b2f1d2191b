package localqueue

import (
	"context"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Delayed is the local webhook queue: SQS's DelaySeconds over a Queue. A message sent
// with a delay is put on the queue by a timer when the delay has passed; one still
// waiting when the process exits is lost, which the webhook sweeper makes good (the store
// keeps every event and due delivery it stood for).
type Delayed struct{ *Queue }

// SendDelayed sends body now, or after delay from a timer.
func (d Delayed) SendDelayed(ctx context.Context, body string, delay time.Duration) error {
	if err := kyc.CheckQueueBody(body); err != nil {
		return err
	}
	if delay <= 0 {
		_, err := d.Send(ctx, body)
		return err
	}
	time.AfterFunc(delay, func() { _, _ = d.Send(context.Background(), body) })
	return nil
}
