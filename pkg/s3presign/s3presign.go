// Package s3presign signs the S3 URLs through which clients upload and download documents
// (kyc.Presigner), without the S3 client.
//
// A function that only hands out URLs needs SigV4 query signing, not the S3 API, yet the
// SDK's presign client comes with github.com/aws/aws-sdk-go-v2/service/s3, about 0.9 MB of
// every such binary. This package builds the same URLs from the aws package and its v4
// signer alone: tests check they are byte for byte those of s3.PresignClient, on AWS
// (virtual-hosted style) and on S3-compatible servers at an explicit endpoint (path
// style). It also owns the input checks and file-name rules that pkg/s3docs applies to
// the same keys, so signer and store cannot drift apart; s3docs signs through it too.
package s3presign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Options choose the server and the addressing style; the zero value is AWS S3 in
// cfg.Region with the bucket in the host name, as s3.NewFromConfig's defaults.
type Options struct {
	// Endpoint is the base URL of an S3-compatible server, scheme://host[:port][/path]
	// (s3.Options.BaseEndpoint). Empty means cfg.BaseEndpoint if set, else AWS S3 in
	// cfg.Region.
	Endpoint string
	// PathStyle puts the bucket in the path rather than in the host name
	// (s3.Options.UsePathStyle). Emulators need it: they have no per-bucket DNS names.
	PathStyle bool
}

// Presigner signs GET and PUT URLs for the objects of one bucket. It is safe for
// concurrent use.
type Presigner struct {
	creds  aws.CredentialsProvider
	region string
	bucket string
	// scheme, host and prefix locate the bucket: an object's URL path is prefix followed
	// by its escaped key. prefix ends with '/'; unescapedPrefix is the same unescaped
	// (url.URL needs both forms to keep the escaping the signature covers).
	scheme, host, prefix, unescapedPrefix string
	signer                                *v4.Signer
	now                                   func() time.Time // tests sign at a fixed time
}

var _ kyc.Presigner = (*Presigner)(nil)

// New returns a Presigner for bucket with cfg's region and credentials. Credentials are
// retrieved at every call, so give a cached provider (aws.NewCredentialsCache, which
// pkg/app's AWSConfig and the SDK's config loader do) when they come from the network.
//
// It supports what this project deploys: standard AWS regions and S3-compatible
// endpoints. Configurations that would make the SDK sign differently (access point ARNs,
// S3 Express directory buckets, global pseudo-regions) are refused here rather than
// signed wrongly; FIPS, dual-stack and Transfer Acceleration endpoints are not offered.
func New(cfg aws.Config, bucket string, opts Options) (*Presigner, error) {
	if cfg.Credentials == nil {
		return nil, errors.New("s3presign: aws.Config has no credentials provider")
	}
	if cfg.Region == "" {
		return nil, errors.New("s3presign: aws.Config has no region")
	}
	if err := checkBucket(bucket); err != nil {
		return nil, err
	}
	p := &Presigner{
		creds:  cfg.Credentials,
		region: cfg.Region,
		bucket: bucket,
		// S3, unlike other services, signs the path exactly as sent: keys are escaped once,
		// below, and not again for the canonical request (s3.Client's own signer option).
		signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }),
		now:    time.Now,
	}
	endpoint := opts.Endpoint
	if endpoint == "" {
		endpoint = aws.ToString(cfg.BaseEndpoint)
	}
	if endpoint == "" {
		suffix, ok := dnsSuffix(cfg.Region)
		if !ok {
			return nil, fmt.Errorf("s3presign: region %q is not an AWS region; an S3-compatible server needs an endpoint", cfg.Region)
		}
		p.scheme = "https"
		// The SDK's endpoint rules: a bucket that is not one DNS label (dots, capitals)
		// cannot be a host name under the TLS wildcard certificate, so it goes in the path.
		if !opts.PathStyle && virtualHostable(bucket, false) {
			p.host, p.prefix = bucket+".s3."+cfg.Region+"."+suffix, "/"
		} else {
			p.host, p.prefix = "s3."+cfg.Region+"."+suffix, "/"+uriEncode(bucket)+"/"
		}
		return p.withUnescapedPrefix()
	}
	u, err := parseEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	p.scheme = u.Scheme
	base := u.Path
	if !strings.HasPrefix(base, "/") {
		base = "/" + base
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	// As the SDK does: an IP address cannot take a bucket label, and over plain http a
	// dotted bucket can (no certificate to match).
	_, ipErr := netip.ParseAddr(u.Hostname())
	if !opts.PathStyle && ipErr != nil && (virtualHostable(bucket, false) || u.Scheme == "http" && virtualHostable(bucket, true)) {
		p.host, p.prefix = bucket+"."+u.Host, base
	} else {
		p.host, p.prefix = u.Host, base+uriEncode(bucket)+"/"
	}
	return p.withUnescapedPrefix()
}

func (p *Presigner) withUnescapedPrefix() (*Presigner, error) {
	s, err := url.PathUnescape(p.prefix)
	if err != nil {
		return nil, fmt.Errorf("s3presign: bucket path %q: %w", p.prefix, err)
	}
	p.unescapedPrefix = s
	return p, nil
}

// Bucket returns the bucket the URLs point into.
func (p *Presigner) Bucket() string { return p.bucket }

// CacheControl is the Cache-Control of every stored document: the PUT signs it, Put and
// the copies store it, and every GET asks for it (response-cache-control). A document is
// PII: no browser, proxy or CDN may keep it.
const CacheControl = "no-store"

// PresignPut returns a PUT of exactly length bytes of contentType to key.
//
// Content-Length, Content-Type and Cache-Control (CacheControl) are part of the
// signature (X-Amz-SignedHeaders), so the store rejects (403) a body of another length,
// another declared type or another caching rule; the length is what enforces the size
// limit checked when the URL was issued, and the caching rule keeps an uploader from
// storing, say, "public, max-age=31536000" with the object. SigV4 signs Content-Length
// only when it is positive, which is one reason length must be > 0. Headers holds the
// headers the client must send as given (Host is left out: every client sets it, and it
// is derived from the URL). Browsers set Content-Length from the body themselves.
func (p *Presigner) PresignPut(ctx context.Context, key, contentType string, length int64, ttl time.Duration) (kyc.PresignedRequest, error) {
	if err := CheckKey(key); err != nil {
		return kyc.PresignedRequest{}, err
	}
	if length <= 0 {
		return kyc.PresignedRequest{}, kyc.FieldError(kyc.EINVALID, "length", "must be positive")
	}
	if err := CheckContentType(contentType); err != nil {
		return kyc.PresignedRequest{}, err
	}
	if err := CheckTTL(ttl); err != nil {
		return kyc.PresignedRequest{}, err
	}
	req := p.request(ctx, http.MethodPut, key, "PutObject", ttl, nil)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Cache-Control", CacheControl)
	req.ContentLength = length
	signedURL, signed, at, err := p.sign(ctx, req)
	if err != nil {
		return kyc.PresignedRequest{}, fmt.Errorf("s3presign: presign put %q: %w", key, err)
	}
	// Refuse to hand out a URL that would not enforce the limits: if a future signer
	// stopped signing one of these headers, uploads of any size, type or caching rule
	// would be accepted.
	if signed.Get("Content-Length") != strconv.FormatInt(length, 10) || signed.Get("Content-Type") != contentType ||
		signed.Get("Cache-Control") != CacheControl {
		return kyc.PresignedRequest{}, fmt.Errorf("s3presign: presign put %q: Content-Length, Content-Type and Cache-Control not signed (signed %v)", key, headerNames(signed))
	}
	headers := make(map[string]string, len(signed))
	for name, values := range signed {
		if strings.EqualFold(name, "Host") {
			continue
		}
		headers[http.CanonicalHeaderKey(name)] = strings.Join(values, ",")
	}
	return kyc.PresignedRequest{
		URL:       signedURL,
		Method:    http.MethodPut,
		Headers:   headers,
		ExpiresAt: at.Add(ttl),
	}, nil
}

// PresignGet returns a GET URL for key whose response carries
// Content-Disposition: attachment; filename="<filename, sanitized>", so a browser saves the
// document instead of rendering it in the bucket's origin, and Cache-Control: no-store
// (CacheControl) whatever the object was stored with, so no cache keeps a copy. Both are
// signed query parameters: a holder of the URL cannot change them.
func (p *Presigner) PresignGet(ctx context.Context, key string, ttl time.Duration, filename string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	if err := CheckTTL(ttl); err != nil {
		return "", err
	}
	req := p.request(ctx, http.MethodGet, key, "GetObject", ttl, url.Values{
		"response-content-disposition": {ContentDisposition(filename)},
		"response-cache-control":       {CacheControl},
	})
	signedURL, _, _, err := p.sign(ctx, req)
	if err != nil {
		return "", fmt.Errorf("s3presign: presign get %q: %w", key, err)
	}
	return signedURL, nil
}

// request is the unsigned request for key with the query parameters s3.PresignClient
// adds: the operation name (x-id) and the validity in whole seconds.
func (p *Presigner) request(ctx context.Context, method, key, op string, ttl time.Duration, query url.Values) *http.Request {
	if query == nil {
		query = url.Values{}
	}
	query.Set("x-id", op)
	query.Set("X-Amz-Expires", strconv.FormatInt(int64(ttl/time.Second), 10))
	u := &url.URL{
		Scheme:   p.scheme,
		Host:     p.host,
		Path:     p.unescapedPrefix + key,
		RawPath:  p.prefix + escapePath(key),
		RawQuery: query.Encode(),
	}
	req := &http.Request{Method: method, URL: u, Host: u.Host, Header: http.Header{}}
	return req.WithContext(ctx)
}

// sign presigns req now with the current credentials and returns the URL, the headers
// that were signed, and the signing time as S3 counts it (X-Amz-Date has whole seconds).
func (p *Presigner) sign(ctx context.Context, req *http.Request) (string, http.Header, time.Time, error) {
	creds, err := p.creds.Retrieve(ctx)
	if err != nil {
		return "", nil, time.Time{}, fmt.Errorf("retrieve credentials: %w", err)
	}
	at := p.now().UTC().Truncate(time.Second)
	// UNSIGNED-PAYLOAD: the body is not known when the URL is issued; its length and type
	// are what the signature pins down.
	signedURL, signed, err := p.signer.PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", p.region, at)
	if err != nil {
		return "", nil, time.Time{}, err
	}
	return signedURL, signed, at, nil
}

// escapePath escapes an object key for the URL path as the SDK does for S3 ({Key+}):
// every byte but the unreserved ones (RFC 3986) and '/', which S3 reads as part of the key.
func escapePath(key string) string {
	return escape(key, true)
}

// uriEncode escapes a bucket name for a path-style URL, '/' included, as the SDK's
// endpoint rules do.
func uriEncode(s string) string {
	return escape(s, false)
}

func escape(s string, keepSlash bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// checkBucket refuses bucket names the SDK does not sign as plain buckets: access point
// and Outposts ARNs, S3 Express directory buckets (session auth) and Outposts access point
// aliases. Those would need the SDK's other signing paths.
func checkBucket(bucket string) error {
	if bucket == "" {
		return errors.New("s3presign: bucket is required")
	}
	if strings.HasPrefix(bucket, "arn:") {
		return fmt.Errorf("s3presign: bucket %q: ARNs are not supported", bucket)
	}
	for _, suffix := range []string{"--x-s3", "--xa-s3", "--op-s3"} {
		if strings.HasSuffix(bucket, suffix) {
			return fmt.Errorf("s3presign: bucket %q: directory buckets and Outposts access points are not supported", bucket)
		}
	}
	return nil
}

// virtualHostable reports whether bucket can be a host name label, as the SDK's
// IsVirtualHostableS3Bucket decides: 3 to 63 letters, digits and hyphens, no capitals,
// not an IP address; with dots allowed as label separators when allowDots.
func virtualHostable(bucket string, allowDots bool) bool {
	if _, err := netip.ParseAddr(bucket); err == nil {
		return false
	}
	labels := []string{bucket}
	if allowDots {
		labels = strings.Split(bucket, ".")
	}
	for _, l := range labels {
		if len(l) < 3 || len(l) > 63 {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// dnsSuffix returns the domain of region's AWS partition, following the region patterns
// of the SDK's partitions.json (e.g. "^cn\-\w+\-\d+$" for aws-cn).
func dnsSuffix(region string) (string, bool) {
	parts := strings.Split(region, "-")
	if len(parts) < 3 || !allDigits(parts[len(parts)-1]) {
		return "", false
	}
	for _, part := range parts[1 : len(parts)-1] {
		if !isWord(part) {
			return "", false
		}
	}
	if len(parts) == 3 {
		switch parts[0] {
		case "us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx":
			return "amazonaws.com", true
		case "cn":
			return "amazonaws.com.cn", true
		}
		return "", false
	}
	if len(parts) == 4 {
		switch parts[0] + "-" + parts[1] {
		case "us-gov":
			return "amazonaws.com", true
		case "us-iso":
			return "c2s.ic.gov", true
		case "us-isob":
			return "sc2s.sgov.gov", true
		case "us-isof":
			return "csp.hci.ic.gov", true
		case "eu-isoe":
			return "cloud.adc-e.uk", true
		case "eusc-de":
			return "amazonaws.eu", true
		}
	}
	return "", false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isWord is RE2's \w+.
func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// parseEndpoint accepts what the SDK accepts as an endpoint (http or https, a host, no
// query), and a path only of characters that need no escaping, so the path is the same
// whether read escaped or not.
func parseEndpoint(endpoint string) (*url.URL, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Opaque != "" || escapePath(u.Path) != u.Path {
		return nil, fmt.Errorf("s3presign: endpoint %q: want http(s)://host[:port][/path]", endpoint)
	}
	return u, nil
}

func headerNames(h http.Header) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	return names
}
