// Package webhookqueue provides the webhook queue (events to fan out, deliveries to
// attempt) to a function: the same SQS code as the review queue (pkg/sqsqueue), on the
// queue at WEBHOOK_QUEUE_URL. It is its own package so that a function's main names its
// provider as it names every other (webhookqueue.Provide).
package webhookqueue

import (
	"errors"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/sqsqueue"
)

// Provide gives e the webhook queue at WEBHOOK_QUEUE_URL (through SQS_ENDPOINT when set).
func Provide(e *app.Env) error {
	if e.Config.WebhookQueueURL == "" {
		return errors.New("webhookqueue: WEBHOOK_QUEUE_URL is not set")
	}
	e.WebhookQueue = sqsqueue.New(sqsqueue.Client(e.AWS, e.Config.SQSEndpoint), e.Config.WebhookQueueURL)
	return nil
}
