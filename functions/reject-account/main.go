// Command reject-account is the Lambda behind POST /v1/cms/account/{id}/rejectAccount.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/webhookqueue"
)

func main() {
	lambdafn.StartHTTP("reject-account", httpapi.RejectAccount, dynamo.Provide, webhookqueue.Provide)
}
