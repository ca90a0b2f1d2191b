// Command download-auth-front-of-id is the Lambda behind GET /v1/cms/account/{id}/downloadAuthFrontOfID.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3presign"
)

func main() {
	lambdafn.StartHTTP("download-auth-front-of-id", httpapi.DownloadAuthFrontOfID, dynamo.Provide, s3presign.Provide)
}
