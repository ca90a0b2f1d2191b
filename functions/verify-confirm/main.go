// Command verify-confirm is the Lambda behind POST /v1/verify/{ticket}/confirm.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/identity"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/webhookqueue"
)

func main() {
	lambdafn.StartHTTP("verify-confirm", httpapi.HostedConfirm, dynamo.Provide, identity.Provide, webhookqueue.Provide)
}
