// Command enterprise-change is the Lambda behind POST /v1/account/enterprise-change.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3docs"
)

func main() {
	lambdafn.StartHTTP("enterprise-change", httpapi.EnterpriseChange, dynamo.Provide, s3docs.Provide)
}
