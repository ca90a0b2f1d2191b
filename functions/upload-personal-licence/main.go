// Command upload-personal-licence is the Lambda behind POST /v1/cms/account/uploadPersonalLicence.
package main

import (
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() { lambdafn.StartHTTP("upload-personal-licence", httpapi.UploadPersonalLicence) }
