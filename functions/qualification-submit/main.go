// Command qualification-submit is the Lambda behind POST /v1/user/qualification.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3docs"
)

func main() {
	lambdafn.StartHTTP("qualification-submit", httpapi.SubmitQualification, dynamo.Provide, s3docs.Provide)
}
