package s3docs_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/realname-kyc/realname/pkg/s3docs"
)

// TestPresignsAsSDK: Store signs through s3presign with its client's region, credentials,
// endpoint and addressing style, and the URLs are the ones the client's own presign client
// would have made. (s3presign's tests compare the two signers in depth, at a fixed time;
// here the signing second of the two calls is compared and the pair retried if it ticked.)
func TestPresignsAsSDK(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AK", "SK", "TOKEN")}
	clients := map[string]*s3.Client{
		"AWS": s3.NewFromConfig(cfg),
		"endpoint, path style": s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = aws.String("http://127.0.0.1:7070")
			o.UsePathStyle = true
		}),
		"aws.Config BaseEndpoint": s3.NewFromConfig(aws.Config{Region: cfg.Region, Credentials: cfg.Credentials, BaseEndpoint: aws.String("https://s3.example.com")}),
	}
	for name, c := range clients {
		store, sdk := s3docs.New(c, "kyc-docs"), s3.NewPresignClient(c)
		same := func(what string, sign func() (got, want string)) {
			t.Helper()
			for try := 0; ; try++ {
				got, want := sign()
				if date(t, got) != date(t, want) && try < 3 {
					continue
				}
				if got != want {
					t.Errorf("%s, %s:\n got %s\nwant %s", name, what, got, want)
				}
				return
			}
		}
		same("PUT", func() (string, string) {
			pr, err := store.PresignPut(ctx, "a b/营业执照.png", "image/png", 42, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			want, err := sdk.PresignPutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String("kyc-docs"), Key: aws.String("a b/营业执照.png"),
				ContentType: aws.String("image/png"), ContentLength: aws.Int64(42),
				CacheControl: aws.String("no-store"),
			}, s3.WithPresignExpires(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			return pr.URL, want.URL
		})
		same("GET", func() (string, string) {
			got, err := store.PresignGet(ctx, "a b/营业执照.pdf", time.Minute, "营业执照.pdf")
			if err != nil {
				t.Fatal(err)
			}
			want, err := sdk.PresignGetObject(ctx, &s3.GetObjectInput{
				Bucket: aws.String("kyc-docs"), Key: aws.String("a b/营业执照.pdf"),
				ResponseContentDisposition: aws.String(s3docs.ContentDisposition("营业执照.pdf")),
				ResponseCacheControl:       aws.String("no-store"),
			}, s3.WithPresignExpires(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			return got, want.URL
		})
	}
}

// TestPresignRefusesOtherEndpoints: endpoint variants the signer does not build make the
// presign methods fail rather than hand out URLs for another host than the client's.
func TestPresignRefusesOtherEndpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AK", "SK", "")}
	for name, opt := range map[string]func(*s3.Options){
		"accelerate": func(o *s3.Options) { o.UseAccelerate = true },
		"dual-stack": func(o *s3.Options) { o.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateEnabled },
		//lint:ignore SA1019 deprecated, but the SDK still honours it, so the store must too.
		"dual-stack, old option": func(o *s3.Options) { o.UseDualstack = true },
		"FIPS":                   func(o *s3.Options) { o.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateEnabled },
	} {
		store := s3docs.New(s3.NewFromConfig(cfg, opt), "kyc-docs")
		if _, err := store.PresignGet(ctx, "k", time.Minute, "a.pdf"); err == nil {
			t.Errorf("%s: PresignGet succeeded", name)
		}
		if _, err := store.PresignPut(ctx, "k", "image/png", 1, time.Minute); err == nil {
			t.Errorf("%s: PresignPut succeeded", name)
		}
	}
}

func date(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("X-Amz-Date")
}
