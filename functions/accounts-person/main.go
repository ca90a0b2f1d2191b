// Command accounts-person is the Lambda behind POST /v1/accounts/person.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

func main() {
	lambdafn.StartHTTP("accounts-person", httpapi.CreatePerson, dynamo.Provide)
}
