// Command organization-seal is the Lambda behind GET /v1/organization/seal.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3presign"
)

func main() {
	lambdafn.StartHTTP("organization-seal", httpapi.GetOrganizationSeal, dynamo.Provide, s3presign.Provide)
}
