// Command webhooks-deliveries is the Lambda behind GET /v1/webhooks/{id}/deliveries.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("webhooks-deliveries", httpapi.ListWebhookDeliveries, dynamo.Provide)
}
