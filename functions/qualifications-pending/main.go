// Command qualifications-pending is the Lambda behind GET /v1/cms/qualification.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3presign"
)

func main() {
	lambdafn.StartHTTP("qualifications-pending", httpapi.ListPendingQualifications, dynamo.Provide, s3presign.Provide)
}
