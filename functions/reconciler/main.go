// Command reconciler is the Lambda the EventBridge schedule runs: it re-queues
// submissions that have been SUBMITTED for too long, so none is stranded.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/sqsqueue"
)

func main() {
	lambdafn.Start(lambdafn.Reconciler, lambdafn.ReconcilerHandler, dynamo.Provide, sqsqueue.Provide)
}
