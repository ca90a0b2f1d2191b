// Command reject-account is the Lambda behind POST /v1/cms/account/{id}/rejectAccount.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambda.Start(httpadapter.New(lambdafn.MustHTTP("reject-account")).ProxyWithContext)
}
