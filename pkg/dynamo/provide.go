package dynamo

import (
	"fmt"
	"net/url"

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

// Provide gives e the store on its TABLE_NAME (at DYNAMODB_ENDPOINT when set), keyed with
// KEY_HASH_SECRET: the provider a function's main names when its routes use the store.
func Provide(e *app.Env) error {
	secret, err := keySecret(e.Config)
	if err != nil {
		return err
	}
	s, err := NewKeyed(Client(e.AWS, e.Config.DynamoEndpoint), e.Config.TableName, []byte(secret))
	if err != nil {
		return fmt.Errorf("dynamo: KEY_HASH_SECRET: %w", err)
	}
	e.Store = s
	e.Backends.Store = "dynamodb"
	return nil
}

// keySecret is the configured key-hash secret, or DevKeySecret for an emulator on this
// machine (DYNAMODB_ENDPOINT on the loopback interface), whose table holds local data
// only. Any other table may hold real data, which a public key would leave as exposed as
// raw keys did: without the secret the function does not start.
func keySecret(c app.Config) (string, error) {
	if c.KeyHashSecret != "" {
		return c.KeyHashSecret, nil
	}
	if u, err := url.Parse(c.DynamoEndpoint); err == nil && c.DynamoEndpoint != "" && isLoopback(u.Hostname()) {
		return DevKeySecret, nil
	}
	return "", fmt.Errorf("dynamo: environment variable KEY_HASH_SECRET is required unless DYNAMODB_ENDPOINT is an emulator on this machine (%d+ random bytes as hex: openssl rand -hex %d)", MinKeySecret, MinKeySecret)
}
