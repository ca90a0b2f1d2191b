// Command admin-apps-revoke is the Lambda behind DELETE /v1/admin/apps/{app_key}.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("admin-apps-revoke", httpapi.RevokeApp, dynamo.Provide)
}
