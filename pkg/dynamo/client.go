package dynamo

import (
	"context"
	"fmt"
	"net"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/realname-kyc/realname/pkg/awsconf"
)

// NewLocalClient returns a DynamoDB client for an emulator at endpoint (DynamoDB Local,
// dynoxide) on the loopback interface, with fixed dummy credentials and region us-east-1.
// It refuses any other host: the emulators listen on every interface and have no
// authentication, so traffic to them must never leave the machine.
func NewLocalClient(ctx context.Context, endpoint string) (*dynamodb.Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("dynamo: local endpoint %q: %w", endpoint, err)
	}
	if !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("dynamo: local endpoint %q is not on the loopback interface", endpoint)
	}
	cfg := awsconf.Static("us-east-1", "local", "local", "")
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		// dynamodb v1.73.1 checks the x-amz-crc32 header only after its deserializer has
		// already read the body, so every response logs a bogus "did not match expected
		// checksum, 0, ..." warning. Over loopback the check protects nothing; turn it off.
		o.DisableValidateResponseChecksum = true
	}), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
