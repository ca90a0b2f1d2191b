// Command reconciler is the Lambda the EventBridge schedule runs: it re-queues
// submissions that have been SUBMITTED for too long, so none is stranded, and sweeps the
// webhook outbox and overdue deliveries, so no event is lost.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/sqsqueue"
	"github.com/realname-kyc/realname/pkg/webhookqueue"
)

func main() {
	lambdafn.Start(lambdafn.Reconciler, lambdafn.ReconcilerHandler, dynamo.Provide, sqsqueue.Provide, webhookqueue.Provide)
}
