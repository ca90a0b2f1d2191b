package s3presign

import (
	"github.com/realname-kyc/realname/pkg/app"
)

// Provide gives e a signer for the documents in DOCS_BUCKET (path style at S3_ENDPOINT
// when set, as s3docs.Provide's client), for a function that signs URLs but never calls
// the S3 API: its binary then links no S3 client.
func Provide(e *app.Env) error {
	p, err := New(e.AWS, e.Config.Bucket, Options{Endpoint: e.Config.S3Endpoint, PathStyle: e.Config.S3Endpoint != ""})
	if err != nil {
		return err
	}
	e.Presigner = p
	e.Backends.Documents = "s3"
	return nil
}
