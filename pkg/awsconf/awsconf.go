// Package awsconf builds AWS SDK configurations for servers that are not AWS itself
// (emulators in tests and `make run-emulated`), so each adapter does not repeat it.
package awsconf

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
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
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key, secret, "")),
		// Not a plain *http.Client: with AWS_CA_BUNDLE set (as on these machines) the
		// config loader adds the bundle to the client's transport and panics on a client
		// that has no WithTransportOptions. A BuildableClient has it, and sets no overall
		// timeout that would cut long polls short.
		config.WithHTTPClient(awshttp.NewBuildableClient()),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("awsconf: config for %s: %w", ep.URL, err)
	}
	return cfg, nil
}
