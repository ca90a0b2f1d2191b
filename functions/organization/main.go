// Command organization is the Lambda behind GET /v1/organization.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("organization", httpapi.GetOrganization, dynamo.Provide)
}
