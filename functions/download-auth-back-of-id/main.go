// Command download-auth-back-of-id is the Lambda behind GET /v1/cms/account/{id}/downloadAuthBackOfID.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3presign"
)

func main() {
	lambdafn.StartHTTP("download-auth-back-of-id", httpapi.DownloadAuthBackOfID, dynamo.Provide, s3presign.Provide)
}
