// Command down-auth-licence is the Lambda behind GET /v1/cms/account/{id}/downAuthLicence.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambda.Start(httpadapter.New(lambdafn.MustHTTP("down-auth-licence")).ProxyWithContext)
}
