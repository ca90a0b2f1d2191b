// Command webhooks-replay is the Lambda behind POST /v1/webhooks/{id}/deliveries/{deliveryId}/replay.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/webhookqueue"
)

func main() {
	lambdafn.StartHTTP("webhooks-replay", httpapi.ReplayWebhookDelivery, dynamo.Provide, webhookqueue.Provide)
}
