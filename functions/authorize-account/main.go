// Command authorize-account is the Lambda behind POST /v1/cms/account/{id}/authorizeAccount.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3docs"
	"github.com/realname-kyc/realname/pkg/webhookqueue"
)

func main() {
	lambdafn.StartHTTP("authorize-account", httpapi.AuthorizeAccount, dynamo.Provide, s3docs.Provide, webhookqueue.Provide)
}
