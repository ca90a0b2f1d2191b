// Command webhooks-rotate is the Lambda behind POST /v1/webhooks/{id}/rotate.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/kmsbox"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("webhooks-rotate", httpapi.RotateWebhook, dynamo.Provide, kmsbox.Provide)
}
