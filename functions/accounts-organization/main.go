// Command accounts-organization is the Lambda behind POST /v1/accounts/organization.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3docs"
	"github.com/realname-kyc/realname/pkg/sqsqueue"
	"github.com/realname-kyc/realname/pkg/webhookqueue"
)

func main() {
	lambdafn.StartHTTP("accounts-organization", httpapi.CreateOrganizationAccount, dynamo.Provide, s3docs.Provide, sqsqueue.Provide, webhookqueue.Provide)
}
