// Command reconciler is the Lambda the EventBridge schedule runs: it re-queues
// submissions that have been SUBMITTED for too long, so none is stranded.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambda.Start(lambdafn.MustReconciler())
}
