// Command account is the Lambda behind GET /v1/account.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("account", httpapi.GetAccount, dynamo.Provide)
}
