// Command download-confirmation-file is the Lambda behind GET /v1/cms/account/downloadConfirmationFile.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3presign"
)

func main() {
	lambdafn.StartHTTP("download-confirmation-file", httpapi.DownloadConfirmationFile, dynamo.Provide, s3presign.Provide)
}
