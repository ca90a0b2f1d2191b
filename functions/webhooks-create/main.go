// Command webhooks-create is the Lambda behind POST /v1/webhooks.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/kmsbox"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("webhooks-create", httpapi.CreateWebhook, dynamo.Provide, kmsbox.Provide)
}
