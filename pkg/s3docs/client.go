package s3docs

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

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
// On AWS, build the client from the Lambda's default configuration instead
// (s3.NewFromConfig) and pass it to New; nothing here is needed there.
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
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(e.AccessKey, e.SecretKey, "")),
		// The SDK's own buildable client, not a plain *http.Client: AWS_CA_BUNDLE is set on
		// these machines, and LoadDefaultConfig then needs an HTTP client it can add the CA
		// bundle to; with &http.Client{} it panics ("has no WithTransportOptions").
		config.WithHTTPClient(awshttp.NewBuildableClient()),
		// Since early 2025 the SDK adds a CRC32 checksum to every PutObject (a header over
		// plain http, an aws-chunked trailer over TLS) and validates response checksums when
		// present. Measured against VersityGW v1.8.0 with SDK s3 v1.114.8 the defaults do
		// work, but GetObject then logs "Response has no supported checksum" on every read,
		// and other S3-compatible servers implement the trailer unevenly. Nothing here needs
		// them: over plain http the SigV4 payload hash already covers the body. "When
		// required" keeps requests to the plain S3 protocol every server understands.
		// Presigned PUTs are unaffected either way: s3presign signs them, with no checksum
		// (a test checks the URL carries none), which is what lets clients upload with a
		// bare HTTP PUT.
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	)
	if err != nil {
		return nil, fmt.Errorf("s3docs: load AWS config for %s: %w", e.URL, err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(e.URL)
		o.UsePathStyle = true
	}), nil
}
