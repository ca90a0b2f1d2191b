// Command down-auth-licence is the Lambda behind GET /v1/cms/account/{id}/downAuthLicence.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3presign"
)

func main() {
	lambdafn.StartHTTP("down-auth-licence", httpapi.DownAuthLicence, dynamo.Provide, s3presign.Provide)
}
