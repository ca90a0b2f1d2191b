// Command webhooks-delete is the Lambda behind DELETE /v1/webhooks/{id}.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("webhooks-delete", httpapi.DeleteWebhook, dynamo.Provide)
}
