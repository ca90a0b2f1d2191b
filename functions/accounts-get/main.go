// Command accounts-get is the Lambda behind GET /v1/accounts/{accountId}.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("accounts-get", httpapi.GetIntegratorAccount, dynamo.Provide)
}
