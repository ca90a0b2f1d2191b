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
		// Presigned PUTs are sent by apps without the SDK: they must not carry the SDK's
		// default CRC32 checksum parameters, which the app could not compute.
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
