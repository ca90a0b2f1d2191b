// Command bank-verification-confirm is the Lambda behind POST
// /v1/accounts/{accountId}/bank-verification/confirm.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/webhookqueue"
)

func main() {
	lambdafn.StartHTTP("bank-verification-confirm", httpapi.ConfirmBankVerification, dynamo.Provide, webhookqueue.Provide)
}
