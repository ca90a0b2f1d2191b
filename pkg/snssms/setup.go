package snssms

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/realname-kyc/realname/pkg/awsconf"
)

// Endpoint says how to reach an SNS-compatible server that is not AWS's own.
type Endpoint = awsconf.Endpoint

// NewEndpointClient returns an SNS client for ep with static credentials, for emulators
// and tests. On AWS, use sns.NewFromConfig with the default config.
func NewEndpointClient(ctx context.Context, ep Endpoint) (*sns.Client, error) {
	cfg, err := ep.Config(ctx)
	if err != nil {
		return nil, fmt.Errorf("sns endpoint client: %w", err)
	}
	return sns.NewFromConfig(cfg, func(o *sns.Options) {
		o.BaseEndpoint = aws.String(ep.URL)
	}), nil
}
