// Package outbox moves webhook events from the store to the receivers: the dispatcher
// that queues an event right after the transition that wrote it commits, the sweeper that
// queues what the dispatcher could not (older than a minute), and the delivery worker that
// fans an event out to the matching endpoints and delivers each one, signed, with retries.
//
// No decision is lost between the store and the queue: the outbox record is written in
// the decision's own transaction (pkg/dynamo), and stays until the worker has turned it
// into deliveries in one transaction. The dispatcher's send is an optimisation for
// latency and needs no DynamoDB call; when it fails, or the process dies before it, the
// sweeper finds the record by time and queues it. Every step is idempotent: a fan-out
// happens once (conditional on the record), an attempt is recorded once (conditional on
// the delivery's version), and receivers deduplicate by webhook-id, which is the event's
// id on every attempt and replay.
//
// One queue carries two kinds of message: an event to fan out, and a delivery to attempt
// when due. Retry delays beyond SQS's 15 minutes are chained re-sends (webhook.NextHop):
// a delivery message that arrives before it is due is sent on again and acknowledged.
package outbox
