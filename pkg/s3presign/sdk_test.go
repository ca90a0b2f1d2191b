package s3presign_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/s3presign"
)

// signingTime is the fixed time both signers sign at, so their URLs can be compared.
var signingTime = time.Date(2026, 12, 5, 9, 30, 15, 0, time.UTC)

// fixedTimeSigner is the SDK's own presigner (as s3.NewPresignClient makes it) signing
// at signingTime rather than now: the SDK has no clock option.
type fixedTimeSigner struct{ s *v4.Signer }

func (f fixedTimeSigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return f.s.PresignHTTP(ctx, creds, r, payloadHash, service, region, signingTime, optFns...)
}

// sdkPresigner is the SDK's presign client configured as pkg/s3docs configures its
// client (s3docs.Client and s3docs.NewClient): endpoint and path style as given, the
// default checksums off unless sdkChecksums.
func sdkPresigner(cfg aws.Config, opts s3presign.Options, sdkChecksums bool) *s3.PresignClient {
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if !sdkChecksums {
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		o.UsePathStyle = opts.PathStyle
	})
	return s3.NewPresignClient(c, func(o *s3.PresignOptions) {
		o.Presigner = fixedTimeSigner{v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true })}
	})
}

// comparedKeys exercise the escaping of keys: S3 wants each byte but the unreserved ones
// percent-encoded, with '/' kept, and the signature covers the path exactly as sent.
var comparedKeys = []string{
	"accounts/a1/front.png",
	"with space/file name.pdf",
	"unicode/营业执照 副本.pdf",
	"specials/a+b=c&d;e,f@g:h$i!j'k(l)m*n~o_p-q.r",
	"reserved/what?#frag%25%2F[x]{y}|^`<>\\\"",
	"/leading/double//trailing/",
	"ctl/\x01\x7f\t",
	"ümlaut",
}

func TestSameURLsAsSDK(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type setup struct {
		name   string
		region string
		bucket string
		opts   s3presign.Options
		// baseEndpoint is set on aws.Config rather than in Options, which the SDK honours
		// too.
		baseEndpoint string
		token        string
		wantHost     string // the URL's host, to show which addressing style was compared
	}
	setups := []setup{
		{name: "AWS virtual-hosted", region: "eu-west-1", bucket: "kyc-docs", wantHost: "kyc-docs.s3.eu-west-1.amazonaws.com"},
		{name: "AWS us-east-1", region: "us-east-1", bucket: "kyc-docs", wantHost: "kyc-docs.s3.us-east-1.amazonaws.com"},
		{name: "AWS session token", region: "ap-southeast-1", bucket: "kyc-docs", token: "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH+token=", wantHost: "kyc-docs.s3.ap-southeast-1.amazonaws.com"},
		{name: "AWS China", region: "cn-north-1", bucket: "kyc-docs", wantHost: "kyc-docs.s3.cn-north-1.amazonaws.com.cn"},
		{name: "AWS GovCloud", region: "us-gov-west-1", bucket: "kyc-docs", wantHost: "kyc-docs.s3.us-gov-west-1.amazonaws.com"},
		{name: "AWS ISO", region: "us-iso-east-1", bucket: "kyc-docs", wantHost: "kyc-docs.s3.us-iso-east-1.c2s.ic.gov"},
		{name: "AWS ISO-B", region: "us-isob-east-1", bucket: "kyc-docs", wantHost: "kyc-docs.s3.us-isob-east-1.sc2s.sgov.gov"},
		{name: "AWS ISO-E", region: "eu-isoe-west-1", bucket: "kyc-docs", wantHost: "kyc-docs.s3.eu-isoe-west-1.cloud.adc-e.uk"},
		{name: "AWS ISO-F", region: "us-isof-south-1", bucket: "kyc-docs", wantHost: "kyc-docs.s3.us-isof-south-1.csp.hci.ic.gov"},
		{name: "AWS EUSC", region: "eusc-de-east-1", bucket: "kyc-docs", wantHost: "kyc-docs.s3.eusc-de-east-1.amazonaws.eu"},
		{name: "AWS dotted bucket goes path-style", region: "eu-west-1", bucket: "kyc.docs.example", wantHost: "s3.eu-west-1.amazonaws.com"},
		{name: "AWS path-style", region: "eu-west-1", bucket: "kyc-docs", opts: s3presign.Options{PathStyle: true}, wantHost: "s3.eu-west-1.amazonaws.com"},
		{name: "gateway path-style", region: "us-east-1", bucket: "kyc-docs", opts: s3presign.Options{Endpoint: "http://127.0.0.1:7070", PathStyle: true}, wantHost: "127.0.0.1:7070"},
		{name: "gateway path-style, other region", region: "eu-central-1", bucket: "kyc-docs", opts: s3presign.Options{Endpoint: "http://127.0.0.1:7070", PathStyle: true}, wantHost: "127.0.0.1:7070"},
		{name: "gateway path-style, odd bucket", region: "us-east-1", bucket: "Kyc_Docs", opts: s3presign.Options{Endpoint: "http://127.0.0.1:7070", PathStyle: true}, wantHost: "127.0.0.1:7070"},
		{name: "gateway path-style, base path", region: "us-east-1", bucket: "kyc-docs", opts: s3presign.Options{Endpoint: "https://gw.example.com:8443/s3", PathStyle: true}, wantHost: "gw.example.com:8443"},
		{name: "gateway path-style, base path with slash", region: "us-east-1", bucket: "kyc-docs", opts: s3presign.Options{Endpoint: "http://[::1]:7070/s3/", PathStyle: true}, wantHost: "[::1]:7070"},
		{name: "endpoint IP without path-style", region: "us-east-1", bucket: "kyc-docs", opts: s3presign.Options{Endpoint: "http://127.0.0.1:7070"}, wantHost: "127.0.0.1:7070"},
		{name: "endpoint virtual-hosted", region: "us-east-1", bucket: "kyc-docs", opts: s3presign.Options{Endpoint: "https://s3.example.com"}, wantHost: "kyc-docs.s3.example.com"},
		{name: "endpoint dotted bucket over http", region: "us-east-1", bucket: "kyc.docs", opts: s3presign.Options{Endpoint: "http://localhost:7070"}, wantHost: "kyc.docs.localhost:7070"},
		{name: "endpoint dotted bucket over https", region: "us-east-1", bucket: "kyc.docs", opts: s3presign.Options{Endpoint: "https://s3.example.com"}, wantHost: "s3.example.com"},
		{name: "aws.Config BaseEndpoint", region: "us-east-1", bucket: "kyc-docs", baseEndpoint: "http://127.0.0.1:7070", opts: s3presign.Options{PathStyle: true}, wantHost: "127.0.0.1:7070"},
	}
	type put struct {
		ct  string
		n   int64
		ttl time.Duration
	}
	puts := []put{
		{"image/png", 1, time.Second},
		{"application/pdf", 10 << 20, 15 * time.Minute},
		{"text/plain; charset=utf-8", 12345, 1500 * time.Millisecond}, // whole seconds are signed
		{"image/jpeg", 1 << 40, s3presign.MaxPresignTTL},
	}
	filenames := []string{"license.pdf", `../营业执照 "copy"` + "\r\nX-Evil: 1.pdf", ""}

	for _, st := range setups {
		for _, sdkChecksums := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/sdk checksums %v", st.name, sdkChecksums), func(t *testing.T) {
				cfg := aws.Config{
					Region:      st.region,
					Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", st.token),
				}
				if st.baseEndpoint != "" {
					cfg.BaseEndpoint = aws.String(st.baseEndpoint)
				}
				sdk := sdkPresigner(cfg, st.opts, sdkChecksums)
				p, err := s3presign.New(cfg, st.bucket, st.opts)
				if err != nil {
					t.Fatal(err)
				}
				s3presign.SetNow(p, func() time.Time { return signingTime.Add(400 * time.Millisecond) })

				for _, key := range comparedKeys {
					for _, pu := range puts {
						got, err := p.PresignPut(ctx, key, pu.ct, pu.n, pu.ttl)
						if err != nil {
							t.Fatalf("PresignPut(%q): %v", key, err)
						}
						want, err := sdk.PresignPutObject(ctx, &s3.PutObjectInput{
							Bucket: aws.String(st.bucket), Key: aws.String(key),
							ContentType: aws.String(pu.ct), ContentLength: aws.Int64(pu.n),
							CacheControl: aws.String(s3presign.CacheControl),
						}, s3.WithPresignExpires(pu.ttl))
						if err != nil {
							t.Fatalf("SDK PresignPutObject(%q): %v", key, err)
						}
						if got.URL != want.URL {
							t.Fatalf("PUT %q %+v:\n got %s\nwant %s", key, pu, got.URL, want.URL)
						}
						if host := mustURL(t, got.URL).Host; host != st.wantHost {
							t.Fatalf("PUT %q: host %q, want %q", key, host, st.wantHost)
						}
						if got.Method != want.Method {
							t.Fatalf("method %q, SDK %q", got.Method, want.Method)
						}
						wantHeaders := map[string]string{}
						for name, v := range want.SignedHeader {
							if name != "Host" {
								wantHeaders[name] = strings.Join(v, ",")
							}
						}
						if fmt.Sprint(got.Headers) != fmt.Sprint(wantHeaders) {
							t.Fatalf("headers %v, SDK signed %v", got.Headers, want.SignedHeader)
						}
						if want := signingTime.Add(pu.ttl); !got.ExpiresAt.Equal(want) {
							t.Fatalf("ExpiresAt %v, want %v (X-Amz-Date + ttl)", got.ExpiresAt, want)
						}
					}
					for _, name := range filenames {
						got, err := p.PresignGet(ctx, key, 10*time.Minute, name)
						if err != nil {
							t.Fatalf("PresignGet(%q): %v", key, err)
						}
						want, err := sdk.PresignGetObject(ctx, &s3.GetObjectInput{
							Bucket: aws.String(st.bucket), Key: aws.String(key),
							ResponseContentDisposition: aws.String(s3presign.ContentDisposition(name)),
							ResponseCacheControl:       aws.String(s3presign.CacheControl),
						}, s3.WithPresignExpires(10*time.Minute))
						if err != nil {
							t.Fatalf("SDK PresignGetObject(%q): %v", key, err)
						}
						if got != want.URL {
							t.Fatalf("GET %q %q:\n got %s\nwant %s", key, name, got, want.URL)
						}
					}
				}
			})
		}
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	creds := credentials.NewStaticCredentialsProvider("AK", "SK", "")
	cases := []struct {
		name   string
		cfg    aws.Config
		bucket string
		opts   s3presign.Options
	}{
		{"no credentials", aws.Config{Region: "eu-west-1"}, "b", s3presign.Options{}},
		{"no region", aws.Config{Credentials: creds}, "kyc-docs", s3presign.Options{}},
		{"no bucket", aws.Config{Region: "eu-west-1", Credentials: creds}, "", s3presign.Options{}},
		// Not AWS regions: the SDK would guess a host; better to fail at start.
		{"pseudo-region", aws.Config{Region: "aws-global", Credentials: creds}, "kyc-docs", s3presign.Options{}},
		{"made-up region", aws.Config{Region: "local", Credentials: creds}, "kyc-docs", s3presign.Options{}},
		{"capitals in region", aws.Config{Region: "EU-WEST-1", Credentials: creds}, "kyc-docs", s3presign.Options{}},
		// Buckets the SDK would sign another way.
		{"ARN", aws.Config{Region: "eu-west-1", Credentials: creds}, "arn:aws:s3:eu-west-1:123456789012:accesspoint/ap", s3presign.Options{}},
		{"directory bucket", aws.Config{Region: "eu-west-1", Credentials: creds}, "docs--euw1-az1--x-s3", s3presign.Options{}},
		// Endpoints the SDK does not accept either.
		{"endpoint without scheme", aws.Config{Region: "us-east-1", Credentials: creds}, "kyc-docs", s3presign.Options{Endpoint: "127.0.0.1:7070", PathStyle: true}},
		{"endpoint ftp", aws.Config{Region: "us-east-1", Credentials: creds}, "kyc-docs", s3presign.Options{Endpoint: "ftp://127.0.0.1", PathStyle: true}},
		{"endpoint with query", aws.Config{Region: "us-east-1", Credentials: creds}, "kyc-docs", s3presign.Options{Endpoint: "http://127.0.0.1:7070/?a=b", PathStyle: true}},
		{"endpoint without host", aws.Config{Region: "us-east-1", Credentials: creds}, "kyc-docs", s3presign.Options{Endpoint: "http:///x", PathStyle: true}},
	}
	for _, c := range cases {
		if p, err := s3presign.New(c.cfg, c.bucket, c.opts); err == nil {
			t.Errorf("%s: New accepted it (%+v)", c.name, p)
		}
	}
	if _, err := s3presign.ForEndpoint(s3presign.Endpoint{URL: "http://127.0.0.1:7070", AccessKey: "AK"}, "kyc-docs"); err == nil {
		t.Error("ForEndpoint accepted an endpoint without a secret key")
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, err := s3presign.ForEndpoint(s3presign.Endpoint{URL: "http://127.0.0.1:7070", AccessKey: "AK", SecretKey: "SK"}, "kyc-docs")
	if err != nil {
		t.Fatal(err)
	}
	const ct = "image/png"
	puts := []struct {
		key, ct string
		n       int64
		ttl     time.Duration
		code    string
	}{
		{"", ct, 1, time.Minute, kyc.EMISSING},
		{"k", ct, 0, time.Minute, kyc.EINVALID},
		{"k", ct, -1, time.Minute, kyc.EINVALID},
		{"k", "", 1, time.Minute, kyc.EMISSING},
		{"k", "image/png\r\nX-Evil: 1", 1, time.Minute, kyc.EINVALID},
		{"k", "not a type", 1, time.Minute, kyc.EINVALID},
		{"k", ct, 1, 8 * 24 * time.Hour, kyc.EINTERNAL},
		{"k", ct, 1, 999 * time.Millisecond, kyc.EINTERNAL},
	}
	for _, c := range puts {
		_, err := p.PresignPut(ctx, c.key, c.ct, c.n, c.ttl)
		if kyc.ErrorCode(err) != c.code {
			t.Errorf("PresignPut(%q, %q, %d, %v) = %v, want %s", c.key, c.ct, c.n, c.ttl, err, c.code)
		}
	}
	gets := []struct {
		key  string
		ttl  time.Duration
		code string
	}{
		{"", time.Minute, kyc.EMISSING},
		{"k", s3presign.MaxPresignTTL + time.Second, kyc.EINTERNAL},
		{"k", 0, kyc.EINTERNAL},
	}
	for _, c := range gets {
		_, err := p.PresignGet(ctx, c.key, c.ttl, "a.pdf")
		if kyc.ErrorCode(err) != c.code {
			t.Errorf("PresignGet(%q, %v) = %v, want %s", c.key, c.ttl, err, c.code)
		}
	}
}

// TestCredentialsPerCall: credentials are read at each call, so rotated ones (a Lambda
// role's, through the SDK's cache) are used without a new Presigner.
func TestCredentialsPerCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	calls := 0
	cfg := aws.Config{Region: "eu-west-1", Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		calls++
		return aws.Credentials{AccessKeyID: fmt.Sprintf("AK%d", calls), SecretAccessKey: "SK"}, nil
	})}
	p, err := s3presign.New(cfg, "kyc-docs", s3presign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		u, err := p.PresignGet(ctx, "k", time.Minute, "a.pdf")
		if err != nil {
			t.Fatal(err)
		}
		if cred := mustURL(t, u).Query().Get("X-Amz-Credential"); !strings.HasPrefix(cred, fmt.Sprintf("AK%d/", i)) {
			t.Fatalf("call %d signed with %q", i, cred)
		}
	}
	failing := aws.Config{Region: "eu-west-1", Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, fmt.Errorf("no role")
	})}
	p, err = s3presign.New(failing, "kyc-docs", s3presign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PresignPut(ctx, "k", "image/png", 1, time.Minute); err == nil || !strings.Contains(err.Error(), "no role") {
		t.Fatalf("PresignPut with failing credentials = %v", err)
	}
}
