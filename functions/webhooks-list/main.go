// Command webhooks-list is the Lambda behind GET /v1/webhooks.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("webhooks-list", httpapi.ListWebhooks, dynamo.Provide)
}
