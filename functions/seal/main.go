// Command seal is the Lambda the EventBridge schedule runs: it generates the seals of
// approved companies that uploaded none. It is the only function that links pkg/seal and
// its font.
package main

import (
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/s3docs"
	"github.com/realname-kyc/realname/pkg/seal"
)

func main() {
	lambdafn.Start(lambdafn.Seal, lambdafn.SealHandler, dynamo.Provide, s3docs.Provide, seal.Provide)
}
