// Package awsconf builds AWS SDK configurations by hand: region, static credentials and
// the SDK's HTTP client (Static), for the Lambda functions (whose credentials are in their
// environment) and for servers that are not AWS itself (emulators in tests and
// `make run-emulated`, Endpoint). It never calls config.LoadDefaultConfig, whose credential
// chain would link the SSO, STS and IMDS clients into every function.
package awsconf

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Endpoint says how to reach an AWS-compatible server.
type Endpoint struct {
	URL             string // e.g. http://127.0.0.1:4566
	Region          string // default us-east-1; emulators put it into ARNs
	AccessKeyID     string // default "test"; most emulators accept any
	SecretAccessKey string // default "test"
}

// Config returns the SDK configuration for ep with static credentials. Clients built from
// it must still set BaseEndpoint to ep.URL.
func (ep Endpoint) Config(ctx context.Context) (aws.Config, error) {
	if ep.URL == "" {
		return aws.Config{}, errors.New("awsconf: no endpoint URL")
	}
	region, key, secret := ep.Region, ep.AccessKeyID, ep.SecretAccessKey
	if region == "" {
		region = "us-east-1"
	}
	if key == "" {
		key = "test"
	}
	if secret == "" {
		secret = "test"
	}
	return Static(region, key, secret, ""), nil
}

// Static is the SDK configuration of region and static credentials, built by hand rather
// than by config.LoadDefaultConfig: that function links the shared-config parser and the
// SSO, SSO-OIDC, STS, sign-in and IMDS clients (about 2 MB of an arm64 binary, and their
// package inits at every cold start) into whatever imports it, and neither a Lambda (whose
// credentials are in its environment) nor an emulator uses them.
func Static(region, key, secret, token string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, token)),
		// The SDK's buildable client keeps its transport options (timeouts, connection
		// pools) and sets no overall timeout that would cut long polls short.
		HTTPClient: awshttp.NewBuildableClient(),
	}
}
