// Command webhook-worker is the Lambda the webhook queue's event source mapping invokes:
// it fans events out to endpoints and delivers them, signed, with retries.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/kmsbox"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/webhookqueue"
)

func main() {
	lambdafn.Start(lambdafn.WebhookWorker, lambdafn.WebhookWorkerHandler, dynamo.Provide, webhookqueue.Provide, kmsbox.Provide)
}
