// Command account-detail is the Lambda behind GET /v1/cms/account/{id}.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("account-detail", httpapi.GetAccountDetail, dynamo.Provide)
}
