// Package s3docs keeps uploaded documents in an S3 bucket (kyc.Documents): head, ranged
// and whole reads, server-side copy, put and delete through the S3 client, and the
// presigned URLs through pkg/s3presign. Functions that only sign URLs use s3presign alone
// and do not link this package.
//
// Clients upload and download through short-lived presigned URLs, so document bytes do not
// pass through a Lambda. The same code runs against AWS S3 and against any S3-compatible
// server (the embedded gateway of local mode, emulators); NewClient builds a client for
// the latter.
package s3docs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/s3presign"
)

// MaxPresignTTL is the longest validity SigV4 allows for a presigned URL.
const MaxPresignTTL = s3presign.MaxPresignTTL

// Store is kyc.Documents on one S3 bucket. It is safe for concurrent use.
type Store struct {
	client *s3.Client
	bucket string
	// presign signs the URLs, the same signer that functions without the S3 client use,
	// so both kinds of function hand out the same URLs. presignErr is why the client's
	// options could not be turned into one; only the presign methods report it, since
	// the other methods do not need it.
	presign    *s3presign.Presigner
	presignErr error
}

var _ kyc.Documents = (*Store)(nil)

// New returns a Store for bucket. The client decides the endpoint, region and
// credentials: s3.NewFromConfig on AWS, NewClient for an S3-compatible server. Presigned
// URLs are signed by s3presign with the same region, credentials, BaseEndpoint and
// UsePathStyle.
func New(client *s3.Client, bucket string) *Store {
	s := &Store{client: client, bucket: bucket}
	s.presign, s.presignErr = presignerOf(client.Options(), bucket)
	return s
}

// presignerOf is the s3presign signer equivalent to a client with options o. Endpoint
// variants s3presign does not build are refused, so that no URL points elsewhere than
// the client's requests.
func presignerOf(o s3.Options, bucket string) (*s3presign.Presigner, error) {
	dualStack := o.EndpointOptions.UseDualStackEndpoint
	if dualStack == aws.DualStackEndpointStateUnset {
		//lint:ignore SA1019 deprecated, yet the SDK still reads it when EndpointOptions leave dual-stack unset.
		if o.UseDualstack {
			dualStack = aws.DualStackEndpointStateEnabled
		}
	}
	if o.UseAccelerate || dualStack == aws.DualStackEndpointStateEnabled ||
		o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled {
		return nil, errors.New("s3docs: presign: accelerate, dual-stack and FIPS endpoints are not supported")
	}
	p, err := s3presign.New(aws.Config{Region: o.Region, Credentials: o.Credentials, BaseEndpoint: o.BaseEndpoint},
		bucket, s3presign.Options{PathStyle: o.UsePathStyle})
	if err != nil {
		return nil, fmt.Errorf("s3docs: presign: %w", err)
	}
	return p, nil
}

// Bucket returns the bucket the store writes to.
func (s *Store) Bucket() string { return s.bucket }

// Ping checks that the bucket exists and the credentials may use it.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)}); err != nil {
		return fmt.Errorf("s3docs: head bucket %q: %w", s.bucket, err)
	}
	return nil
}

// PresignPut returns a PUT of exactly length bytes of contentType to key; see
// s3presign.Presigner.PresignPut, which signs it.
func (s *Store) PresignPut(ctx context.Context, key, contentType string, length int64, ttl time.Duration) (kyc.PresignedRequest, error) {
	if s.presignErr != nil {
		return kyc.PresignedRequest{}, s.presignErr
	}
	return s.presign.PresignPut(ctx, key, contentType, length, ttl)
}

// PresignGet returns a GET URL for key that makes browsers download the document as an
// attachment; see s3presign.Presigner.PresignGet, which signs it.
func (s *Store) PresignGet(ctx context.Context, key string, ttl time.Duration, filename string) (string, error) {
	if s.presignErr != nil {
		return "", s.presignErr
	}
	return s.presign.PresignGet(ctx, key, ttl, filename)
}

// Head returns the size, type and ETag (without quotes) of key, ENOTFOUND if it does not
// exist.
func (s *Store) Head(ctx context.Context, key string) (kyc.ObjectInfo, error) {
	if err := s3presign.CheckKey(key); err != nil {
		return kyc.ObjectInfo{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return kyc.ObjectInfo{}, objectErr("head", key, err)
	}
	return objectInfo(out.ContentLength, out.ContentType, out.ETag), nil
}

// GetRange reads n bytes of key from offset off with a Range request; fewer at the end of
// the object, none from an offset at or past the end. Used to sniff a document's real type
// from its first bytes without downloading it.
func (s *Store) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if err := s3presign.CheckKey(key); err != nil {
		return nil, err
	}
	if off < 0 || n <= 0 {
		return nil, fmt.Errorf("s3docs: get range %q: bad range off=%d n=%d", key, off, n)
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
		Range:  aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1)),
	})
	if err != nil {
		if isInvalidRange(err) {
			// 416: the object is shorter than off (or empty), so there is nothing to read.
			// Only an existing object answers 416; a missing one is NoSuchKey.
			return []byte{}, nil
		}
		return nil, objectErr("get range", key, err)
	}
	defer out.Body.Close()
	body := io.Reader(out.Body)
	if out.ContentRange == nil && off > 0 {
		// A server that ignores Range answers 200 with the whole object; skip to off so the
		// caller still gets the bytes it asked for.
		if _, err := io.CopyN(io.Discard, out.Body, off); err != nil {
			if errors.Is(err, io.EOF) {
				return []byte{}, nil
			}
			return nil, fmt.Errorf("s3docs: get range %q: skip to %d: %w", key, off, err)
		}
	}
	b, err := io.ReadAll(io.LimitReader(body, n))
	if err != nil {
		return nil, fmt.Errorf("s3docs: get range %q: read: %w", key, err)
	}
	return b, nil
}

// Get opens the whole of key; the caller closes the body. ENOTFOUND if it does not exist.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, kyc.ObjectInfo, error) {
	if err := s3presign.CheckKey(key); err != nil {
		return nil, kyc.ObjectInfo{}, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, kyc.ObjectInfo{}, objectErr("get", key, err)
	}
	return out.Body, objectInfo(out.ContentLength, out.ContentType, out.ETag), nil
}

// Put stores body under key, with Cache-Control: no-store (s3presign.CacheControl), so
// that even a request that bypasses the presigned GET's override is not cached. The body
// must be seekable: over plain http (local mode, emulators) SigV4 signs a hash of the
// payload, which the SDK can only compute by reading the body and rewinding it; an
// unseekable body fails in the SDK before any request. A *bytes.Reader or *os.File will do.
func (s *Store) Put(ctx context.Context, key, contentType string, body io.ReadSeeker) error {
	if err := s3presign.CheckKey(key); err != nil {
		return err
	}
	if err := s3presign.CheckContentType(contentType); err != nil {
		return err
	}
	if body == nil {
		return fmt.Errorf("s3docs: put %q: nil body", key)
	}
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:       aws.String(s.bucket),
		Key:          aws.String(key),
		ContentType:  aws.String(contentType),
		CacheControl: aws.String(s3presign.CacheControl),
		Body:         body,
	})
	if err != nil {
		return fmt.Errorf("s3docs: put %q: %w", key, err)
	}
	return nil
}

// Copy is CopyAs with src's own Content-Type, read by a HEAD of src: like every copy
// here it carries nothing else of src's metadata. ENOTFOUND if src does not exist.
func (s *Store) Copy(ctx context.Context, src, dst string) error {
	if err := s3presign.CheckKey(dst); err != nil {
		return err
	}
	info, err := s.Head(ctx, src)
	if err != nil {
		return err
	}
	return s.CopyAs(ctx, src, dst, info.ContentType)
}

// CopyAs copies src to dst inside the bucket with one CopyObject, so the bytes never pass
// through the caller; dst is overwritten if it exists. ENOTFOUND if src does not exist.
//
// The copy gets fresh metadata (MetadataDirective REPLACE): Content-Type contentType
// (the type the server decided, not what the uploader declared), Cache-Control: no-store,
// and nothing else. Whatever the uploader managed to store with src (user metadata,
// Cache-Control, Content-Disposition, Content-Encoding) stays behind with it, so it is
// never served with the document. The same REPLACE makes a copy of a key onto itself a
// legal request that rewrites its metadata.
func (s *Store) CopyAs(ctx context.Context, src, dst, contentType string) error {
	if err := s3presign.CheckKey(src); err != nil {
		return err
	}
	if err := s3presign.CheckKey(dst); err != nil {
		return err
	}
	if err := s3presign.CheckContentType(contentType); err != nil {
		return err
	}
	_, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket:            aws.String(s.bucket),
		Key:               aws.String(dst),
		CopySource:        aws.String(copySource(s.bucket, src)),
		MetadataDirective: types.MetadataDirectiveReplace,
		ContentType:       aws.String(contentType),
		CacheControl:      aws.String(s3presign.CacheControl),
	})
	if err != nil {
		return objectErr("copy "+strconv.Quote(src)+" to", dst, err)
	}
	return nil
}

// copySource is the x-amz-copy-source value: "bucket/key", URL-encoded. Every byte but
// the unreserved ones (RFC 3986) is percent-encoded, '+' included (some servers would read
// it as a space), while the separators stay '/', which every S3-compatible server reads
// the same way (some do not decode an escaped "%2F").
func copySource(bucket, key string) string {
	const hex = "0123456789ABCDEF"
	src := bucket + "/" + key
	var b strings.Builder
	b.Grow(len(src))
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// Delete removes key. Deleting a missing key is not an error, so retries are safe.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s3presign.CheckKey(key); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("s3docs: delete %q: %w", key, err)
	}
	return nil
}

// ContentDisposition returns the attachment disposition PresignGet asks S3 to send
// (s3presign.ContentDisposition).
func ContentDisposition(filename string) string { return s3presign.ContentDisposition(filename) }

// SafeFilename reduces a user-supplied file name to a token safe inside a quoted header
// parameter (s3presign.SafeFilename).
func SafeFilename(name string) string { return s3presign.SafeFilename(name) }

func objectInfo(size *int64, contentType, etag *string) kyc.ObjectInfo {
	return kyc.ObjectInfo{
		Size:        aws.ToInt64(size),
		ContentType: aws.ToString(contentType),
		ETag:        strings.Trim(aws.ToString(etag), `"`),
	}
}

// objectErr maps a missing object to ENOTFOUND and wraps anything else with what was
// being done.
func objectErr(op, key string, err error) error {
	if isNotFound(err) {
		return &kyc.Error{Code: kyc.ENOTFOUND, Message: "Document not found."}
	}
	return fmt.Errorf("s3docs: %s %q: %w", op, key, err)
}

// isNotFound reports a missing object. HEAD responses have no body, so S3 can only say
// 404 and the SDK reports the generic "NotFound"; GET says NoSuchKey. A missing bucket
// (NoSuchBucket) is a deployment error, not a missing document, and is not matched.
func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		case "NoSuchBucket":
			return false
		}
	}
	return false
}

func isInvalidRange(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidRange" {
		return true
	}
	var respErr *awshttp.ResponseError
	return errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusRequestedRangeNotSatisfiable
}
