// Command get-unauthored-personal-account is the Lambda behind GET /v1/cms/account/getUnAuthoredPersonalAccount.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("get-unauthored-personal-account", httpapi.GetUnAuthoredPersonalAccount, dynamo.Provide)
}
