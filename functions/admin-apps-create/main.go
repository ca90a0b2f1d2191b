// Command admin-apps-create is the Lambda behind POST /v1/admin/apps.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("admin-apps-create", httpapi.CreateApp, dynamo.Provide)
}
