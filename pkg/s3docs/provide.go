package s3docs

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/realname-kyc/realname/pkg/app"
)

// Client is the S3 client of awsCfg, path-style at endpoint when it is not "" (an
// emulator or the local gateway).
func Client(awsCfg aws.Config, endpoint string) *s3.Client {
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		// Since early 2025 the SDK adds a CRC32 checksum to every PutObject (a header over
		// plain http, an aws-chunked trailer over TLS) and validates response checksums
		// when present. Against VersityGW v1.8.0 with SDK s3 v1.114.8 the defaults work,
		// but GetObject then logs "Response has no supported checksum" on every read, and
		// other S3-compatible servers implement the trailer unevenly. Nothing here needs
		// them: the SigV4 payload hash already covers the body. Presigned PUTs are signed
		// by s3presign, with no checksum, so clients upload with a bare HTTP PUT.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
	})
}

// Provide gives e the documents in DOCS_BUCKET (at S3_ENDPOINT when set), which also
// sign e's URLs. A function that only signs URLs names s3presign.Provide instead.
func Provide(e *app.Env) error {
	d := New(Client(e.AWS, e.Config.S3Endpoint), e.Config.Bucket)
	e.Docs, e.Presigner = d, d
	e.Backends.Documents = "s3"
	return nil
}
