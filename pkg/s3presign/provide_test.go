package s3presign_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/s3presign"
)

// TestProvide: what a function's main gets. With S3_ENDPOINT the signer is path-style
// on it (the local runner's gateway) and its URLs work there; without, it signs for the
// bucket's virtual host in the region.
func TestProvide(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := &app.Env{
		Config: app.Config{Bucket: bucket, S3Endpoint: gw.Endpoint},
		AWS:    aws.Config{Region: gw.Region, Credentials: credentials.NewStaticCredentialsProvider(gw.AccessKey, gw.SecretKey, "")},
	}
	if err := s3presign.Provide(e); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.Presigner.(*s3presign.Presigner); !ok || e.Docs != nil || e.Backends.Documents != "s3" {
		t.Fatalf("Provide gave Presigner %T, Docs %v, Backends %+v", e.Presigner, e.Docs, e.Backends)
	}
	body := []byte("%PDF-1.7")
	pr, err := e.Presigner.PresignPut(ctx, key(t, "doc.pdf"), "application/pdf", int64(len(body)), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, pr.Method, pr.URL, pr.Headers, body); r.status != http.StatusOK {
		t.Fatalf("PUT through the provided signer: status %d: %s", r.status, r.body)
	}

	onAWS := &app.Env{
		Config: app.Config{Bucket: "kyc-docs-prod"},
		AWS:    aws.Config{Region: "ap-east-1", Credentials: credentials.NewStaticCredentialsProvider("AK", "SK", "")},
	}
	if err := s3presign.Provide(onAWS); err != nil {
		t.Fatal(err)
	}
	u, err := onAWS.Presigner.PresignGet(ctx, "k", time.Minute, "a.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if host := mustURL(t, u).Host; host != "kyc-docs-prod.s3.ap-east-1.amazonaws.com" {
		t.Fatalf("on AWS the URL's host is %q", host)
	}

	if err := s3presign.Provide(&app.Env{Config: app.Config{Bucket: bucket}, AWS: aws.Config{Region: "eu-west-1"}}); err == nil {
		t.Fatal("Provide without credentials succeeded")
	}
}
