// Command get-unauthored-company-account is the Lambda behind GET /v1/cms/account/getUnAuthoredCompanyAccount.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("get-unauthored-company-account", httpapi.GetUnAuthoredCompanyAccount, dynamo.Provide)
}
