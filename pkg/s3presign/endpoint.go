package s3presign

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// DefaultRegion is used when Endpoint.Region is empty. S3-compatible servers check that
// the region in a request's credential scope matches their own, and us-east-1 is what
// VersityGW and most emulators assume.
const DefaultRegion = "us-east-1"

// Endpoint describes an S3-compatible server that is not AWS itself: the embedded
// gateway of local mode, or an emulator. pkg/s3docs's Endpoint is this type, so the
// value that configures a client there (s3docs.NewClient) configures a signer here.
type Endpoint struct {
	URL       string // scheme://host:port, e.g. "http://127.0.0.1:7070"
	Region    string // DefaultRegion if empty
	AccessKey string
	SecretKey string
}

// ForEndpoint returns a Presigner for bucket on e, signing as s3docs.NewClient's client
// does: path style (emulators have no per-bucket DNS names), e's static keys, and e.URL
// as the endpoint.
func ForEndpoint(e Endpoint, bucket string) (*Presigner, error) {
	if e.AccessKey == "" || e.SecretKey == "" {
		return nil, errors.New("s3presign: endpoint access key and secret key are required")
	}
	region := e.Region
	if region == "" {
		region = DefaultRegion
	}
	creds := aws.Credentials{AccessKeyID: e.AccessKey, SecretAccessKey: e.SecretKey, Source: "s3presign.Endpoint"}
	cfg := aws.Config{
		Region: region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return creds, nil
		}),
	}
	return New(cfg, bucket, Options{Endpoint: e.URL, PathStyle: true})
}
