// Command upload-company-license is the Lambda behind POST /v1/cms/account/uploadCompanyLicense.
package main

import (
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() { lambdafn.StartHTTP("upload-company-license", httpapi.UploadCompanyLicense) }
