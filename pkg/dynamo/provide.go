package dynamo

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/realname-kyc/realname/pkg/app"
)

// Client is the DynamoDB client of awsCfg, at endpoint when it is not "" (an emulator).
func Client(awsCfg aws.Config, endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			// Emulators' CRC32 headers do not always match what the SDK computes, which
			// only makes the SDK log a warning on every call.
			o.DisableValidateResponseChecksum = true
		}
	})
}

// Provide gives e the store on its TABLE_NAME (at DYNAMODB_ENDPOINT when set): the
// provider a function's main names when its routes use the store.
func Provide(e *app.Env) error {
	e.Store = New(Client(e.AWS, e.Config.DynamoEndpoint), e.Config.TableName)
	e.Backends.Store = "dynamodb"
	return nil
}
