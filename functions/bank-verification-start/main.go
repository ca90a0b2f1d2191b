// Command bank-verification-start is the Lambda behind POST
// /v1/accounts/{accountId}/bank-verification.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/payoutprovide"
)

func main() {
	lambdafn.StartHTTP("bank-verification-start", httpapi.StartBankVerification, dynamo.Provide, payoutprovide.Provide)
}
