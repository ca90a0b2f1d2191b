// Command admin-set-role is the Lambda behind POST /v1/admin/users/{id}/role.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("admin-set-role", httpapi.SetUserRole, dynamo.Provide)
}
