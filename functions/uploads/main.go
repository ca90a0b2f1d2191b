// Command uploads is the Lambda behind POST /v1/uploads.
package main

import (
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() { lambdafn.StartHTTP("uploads", httpapi.CreateUpload) }
