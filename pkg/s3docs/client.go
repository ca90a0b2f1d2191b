package s3docs

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/realname-kyc/realname/pkg/awsconf"

	"github.com/realname-kyc/realname/pkg/s3presign"
)

// DefaultRegion is used when Endpoint.Region is empty (s3presign.DefaultRegion).
const DefaultRegion = s3presign.DefaultRegion

// Endpoint describes an S3-compatible server that is not AWS itself: the embedded
// gateway of local mode, or an emulator. It is s3presign.Endpoint, so one value
// configures both a client (NewClient) and a signer (s3presign.ForEndpoint).
type Endpoint = s3presign.Endpoint

// NewClient builds an S3 client for a custom endpoint: path-style addressing (emulators
// have no per-bucket DNS names), static credentials, and the endpoint as BaseEndpoint.
//
// On AWS, Provide builds the client from the function's configuration (Client).
func NewClient(ctx context.Context, e Endpoint) (*s3.Client, error) {
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("s3docs: endpoint URL %q: want http(s)://host:port", e.URL)
	}
	if e.AccessKey == "" || e.SecretKey == "" {
		return nil, errors.New("s3docs: endpoint access key and secret key are required")
	}
	region := e.Region
	if region == "" {
		region = DefaultRegion
	}
	return Client(awsconf.Static(region, e.AccessKey, e.SecretKey, ""), e.URL), nil
}
