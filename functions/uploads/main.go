// Command uploads is the Lambda behind POST /v1/uploads.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3presign"
)

func main() {
	lambdafn.StartHTTP("uploads", httpapi.CreateUpload, dynamo.Provide, s3presign.Provide)
}
