// Command get-unauthored-company-account is the Lambda behind GET /v1/cms/account/getUnAuthoredCompanyAccount.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambda.Start(httpadapter.New(lambdafn.MustHTTP("get-unauthored-company-account")).ProxyWithContext)
}
