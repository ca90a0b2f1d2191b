package s3presign_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localgw"
	"github.com/realname-kyc/realname/pkg/s3docs"
	"github.com/realname-kyc/realname/pkg/s3presign"
)

const bucket = "kyc-docs"

// gw is the one embedded gateway of this test binary (embedgw allows one per process).
// It checks SigV4 as S3 does, which is what makes these tests mean something. Tests keep
// apart by key prefix (their own name).
var gw *localgw.Gateway

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "s3presign-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Never skip: a gateway that cannot start is a failure of the local setup.
	gw, err = localgw.Start(context.Background(), localgw.Config{Dir: dir, Buckets: []string{bucket}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: start embedded S3 gateway:", err)
		return 1
	}
	defer gw.Close()
	return m.Run()
}

func newPresigner(t *testing.T) *s3presign.Presigner {
	t.Helper()
	p, err := s3presign.ForEndpoint(gw.ClientEndpoint(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newStore is the S3 client's view of the bucket, to check what the URLs stored.
func newStore(t *testing.T) *s3docs.Store {
	t.Helper()
	c, err := s3docs.NewClient(context.Background(), gw.ClientEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	return s3docs.New(c, bucket)
}

// s3Client is a plain S3 client of the gateway, to store objects with what an uploader
// could have sent.
func s3Client(t *testing.T) *s3.Client {
	t.Helper()
	c, err := s3docs.NewClient(context.Background(), gw.ClientEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// key returns a key under the test's own prefix.
func key(t *testing.T, name string) string {
	return strings.ReplaceAll(t.Name(), "/", "_") + "/" + name
}

type result struct {
	status int
	header http.Header
	body   []byte
}

// do sends a presigned request with plain net/http, as a browser or mobile client would:
// no SDK, no signing.
func do(t *testing.T, method, rawURL string, headers map[string]string, body []byte) result {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if strings.EqualFold(k, "Content-Length") {
			continue // net/http sends the body's real length; that is the point of some tests
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{resp.StatusCode, resp.Header, b}
}

func wantRefused(t *testing.T, r result) {
	t.Helper()
	if r.status != http.StatusForbidden {
		t.Fatalf("status %d, want 403; body %s", r.status, r.body)
	}
}

func wantNotFound(t *testing.T, s *s3docs.Store, k string) {
	t.Helper()
	if _, err := s.Head(context.Background(), k); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Fatalf("Head(%q) = %v, want ENOTFOUND (no object stored)", k, err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// withQuery returns rawURL with parameter name set to value, everything else as signed.
func withQuery(t *testing.T, rawURL, name, value string) string {
	t.Helper()
	u := mustURL(t, rawURL)
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// flipSignature changes one hex digit of the signature.
func flipSignature(t *testing.T, rawURL string) string {
	t.Helper()
	sig := []byte(mustURL(t, rawURL).Query().Get("X-Amz-Signature"))
	if len(sig) == 0 {
		t.Fatalf("no signature in %s", rawURL)
	}
	if sig[0] == '0' {
		sig[0] = '1'
	} else {
		sig[0] = '0'
	}
	return withQuery(t, rawURL, "X-Amz-Signature", string(sig))
}

// inThePast makes p sign as if it were d ago, so its URLs are expired when sent without
// waiting for them to expire.
func inThePast(p *s3presign.Presigner, d time.Duration) {
	s3presign.SetNow(p, func() time.Time { return time.Now().Add(-d) })
}

func TestPresignPut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, s := newPresigner(t), newStore(t)
	body := []byte("\x89PNG\r\n\x1a\n pretend this is an ID card")
	const ct = "image/png"
	presign := func(t *testing.T, k string) kyc.PresignedRequest {
		t.Helper()
		pr, err := p.PresignPut(ctx, k, ct, int64(len(body)), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return pr
	}

	t.Run("exact length and type are accepted", func(t *testing.T) {
		k := key(t, "front.png")
		pr := presign(t, k)
		if pr.Method != http.MethodPut {
			t.Fatalf("method %q", pr.Method)
		}
		want := map[string]string{"Cache-Control": "no-store", "Content-Type": ct, "Content-Length": fmt.Sprint(len(body))}
		if fmt.Sprint(pr.Headers) != fmt.Sprint(want) {
			t.Fatalf("headers %v, want %v", pr.Headers, want)
		}
		q := mustURL(t, pr.URL).Query()
		if sh := q.Get("X-Amz-SignedHeaders"); sh != "cache-control;content-length;content-type;host" {
			t.Fatalf("signed headers %q", sh)
		}
		if d := time.Until(pr.ExpiresAt); d < 55*time.Second || d > 61*time.Second {
			t.Fatalf("ExpiresAt in %v, want about 1m", d)
		}
		if r := do(t, pr.Method, pr.URL, pr.Headers, body); r.status != http.StatusOK {
			t.Fatalf("PUT status %d: %s", r.status, r.body)
		}
		info, err := s.Head(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != int64(len(body)) || info.ContentType != ct {
			t.Fatalf("Head = %+v", info)
		}
	})

	t.Run("longer body is refused", func(t *testing.T) {
		k := key(t, "x")
		pr := presign(t, k)
		wantRefused(t, do(t, pr.Method, pr.URL, pr.Headers, append(bytes.Clone(body), "more"...)))
		wantNotFound(t, s, k)
	})

	t.Run("shorter body is refused", func(t *testing.T) {
		k := key(t, "x")
		pr := presign(t, k)
		wantRefused(t, do(t, pr.Method, pr.URL, pr.Headers, body[:len(body)-1]))
		wantNotFound(t, s, k)
	})

	t.Run("other content type is refused", func(t *testing.T) {
		k := key(t, "x")
		pr := presign(t, k)
		wantRefused(t, do(t, pr.Method, pr.URL, map[string]string{"Content-Type": "text/html"}, body))
		wantNotFound(t, s, k)
	})

	t.Run("uploader's Cache-Control is refused", func(t *testing.T) {
		// Otherwise an uploader could store "public, max-age=31536000" with the object,
		// and every GET would serve it back.
		for _, cc := range []string{"public, max-age=31536000", ""} {
			k := key(t, "x")
			pr := presign(t, k)
			h := maps.Clone(pr.Headers)
			h["Cache-Control"] = cc
			if cc == "" {
				delete(h, "Cache-Control") // a client that leaves it out
			}
			wantRefused(t, do(t, pr.Method, pr.URL, h, body))
			wantNotFound(t, s, k)
		}
	})

	t.Run("missing content type is refused", func(t *testing.T) {
		k := key(t, "x")
		pr := presign(t, k)
		wantRefused(t, do(t, pr.Method, pr.URL, nil, body))
		wantNotFound(t, s, k)
	})

	t.Run("other key is refused", func(t *testing.T) {
		k := key(t, "x")
		pr := presign(t, k)
		other := strings.Replace(pr.URL, "/x?", "/y?", 1)
		if other == pr.URL {
			t.Fatalf("key not found in %s", pr.URL)
		}
		wantRefused(t, do(t, pr.Method, other, pr.Headers, body))
		wantNotFound(t, s, key(t, "y"))
	})

	t.Run("tampered signature is refused", func(t *testing.T) {
		k := key(t, "x")
		pr := presign(t, k)
		wantRefused(t, do(t, pr.Method, flipSignature(t, pr.URL), pr.Headers, body))
		wantNotFound(t, s, k)
	})

	t.Run("longer expiry is refused", func(t *testing.T) {
		k := key(t, "x")
		pr := presign(t, k)
		wantRefused(t, do(t, pr.Method, withQuery(t, pr.URL, "X-Amz-Expires", "604800"), pr.Headers, body))
		wantNotFound(t, s, k)
	})

	t.Run("expired URL is refused", func(t *testing.T) {
		old := newPresigner(t)
		inThePast(old, 2*time.Minute)
		k := key(t, "x")
		pr, err := old.PresignPut(ctx, k, ct, int64(len(body)), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !pr.ExpiresAt.Before(time.Now()) {
			t.Fatalf("ExpiresAt %v is not past", pr.ExpiresAt)
		}
		wantRefused(t, do(t, pr.Method, pr.URL, pr.Headers, body))
		wantNotFound(t, s, k)
	})

	t.Run("URL signed earlier is accepted until it expires", func(t *testing.T) {
		// The control for the test above: an old X-Amz-Date alone is not what is refused.
		old := newPresigner(t)
		inThePast(old, 30*time.Second)
		pr, err := old.PresignPut(ctx, key(t, "x"), ct, int64(len(body)), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if r := do(t, pr.Method, pr.URL, pr.Headers, body); r.status != http.StatusOK {
			t.Fatalf("PUT status %d: %s", r.status, r.body)
		}
	})

	t.Run("signed with the wrong secret is refused", func(t *testing.T) {
		e := gw.ClientEndpoint()
		e.SecretKey = "not-the-secret"
		bad, err := s3presign.ForEndpoint(e, bucket)
		if err != nil {
			t.Fatal(err)
		}
		k := key(t, "x")
		pr, err := bad.PresignPut(ctx, k, ct, int64(len(body)), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		wantRefused(t, do(t, pr.Method, pr.URL, pr.Headers, body))
		wantNotFound(t, s, k)
	})
}

func TestPresignGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, s := newPresigner(t), newStore(t)
	k := key(t, "license.pdf")
	body := []byte("%PDF-1.7 business license")
	if err := s.Put(ctx, k, "application/pdf", bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	u, err := p.PresignGet(ctx, k, time.Minute, `../营业执照 "copy"`+"\r\nX-Evil: 1.pdf")
	if err != nil {
		t.Fatal(err)
	}
	r := do(t, http.MethodGet, u, nil, nil)
	if r.status != http.StatusOK || !bytes.Equal(r.body, body) {
		t.Fatalf("GET status %d body %q", r.status, r.body)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="copy_X-Evil_1.pdf"` {
		t.Fatalf("Content-Disposition %q", cd)
	}
	if r.header.Get("X-Evil") != "" {
		t.Fatal("header injected")
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q, want no-store", cc)
	}

	t.Run("no-store whatever the object was stored with", func(t *testing.T) {
		k := key(t, "cached.pdf")
		if _, err := s3Client(t).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k),
			Body: bytes.NewReader(body), ContentType: aws.String("application/pdf"), CacheControl: aws.String("public, max-age=31536000")}); err != nil {
			t.Fatal(err)
		}
		u, err := p.PresignGet(ctx, k, time.Minute, "a.pdf")
		if err != nil {
			t.Fatal(err)
		}
		r := do(t, http.MethodGet, u, nil, nil)
		if r.status != http.StatusOK || !bytes.Equal(r.body, body) {
			t.Fatalf("GET status %d body %q", r.status, r.body)
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("Cache-Control %q, want no-store", cc)
		}
	})
	t.Run("other cache control is refused", func(t *testing.T) {
		wantRefused(t, do(t, http.MethodGet, withQuery(t, u, "response-cache-control", "public, max-age=31536000"), nil, nil))
	})
	t.Run("other key is refused", func(t *testing.T) {
		other := strings.Replace(u, "license.pdf", "license.pdX", 1)
		if other == u {
			t.Fatalf("key not found in %s", u)
		}
		wantRefused(t, do(t, http.MethodGet, other, nil, nil))
	})
	t.Run("tampered signature is refused", func(t *testing.T) {
		wantRefused(t, do(t, http.MethodGet, flipSignature(t, u), nil, nil))
	})
	t.Run("other disposition is refused", func(t *testing.T) {
		// Otherwise a link could be turned into one that renders inline in the bucket's
		// origin.
		wantRefused(t, do(t, http.MethodGet, withQuery(t, u, "response-content-disposition", "inline"), nil, nil))
	})
	t.Run("expired URL is refused", func(t *testing.T) {
		old := newPresigner(t)
		inThePast(old, 2*time.Minute)
		u, err := old.PresignGet(ctx, k, time.Minute, "a.pdf")
		if err != nil {
			t.Fatal(err)
		}
		wantRefused(t, do(t, http.MethodGet, u, nil, nil))

		inThePast(old, 30*time.Second) // the control: still valid
		if u, err = old.PresignGet(ctx, k, time.Minute, "a.pdf"); err != nil {
			t.Fatal(err)
		}
		if r := do(t, http.MethodGet, u, nil, nil); r.status != http.StatusOK {
			t.Fatalf("GET signed 30s ago for 1m: status %d: %s", r.status, r.body)
		}
	})
	t.Run("missing object is 404", func(t *testing.T) {
		u, err := p.PresignGet(ctx, key(t, "none"), time.Minute, "a.pdf")
		if err != nil {
			t.Fatal(err)
		}
		if r := do(t, http.MethodGet, u, nil, nil); r.status != http.StatusNotFound {
			t.Fatalf("status %d, want 404", r.status)
		}
	})
}

// TestKeys: keys are escaped as S3 expects, so an object uploaded through a presigned PUT
// is the one the S3 client finds under the same key, and a presigned GET reads it back.
func TestKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, s := newPresigner(t), newStore(t)
	names := []string{
		"with space/file name.pdf",
		"unicode/营业执照 副本.pdf",
		"accents/résumé ü.pdf",
		"plus/a+b.pdf",
		"specials/a=c&d;e,f@g:h$i!j'k(l)m*n~o_p-q.r",
		"percent/100%25 and 50%.pdf",
		"query/what?x=1.pdf",
		"hash/#1.pdf",
		"brackets/[x]{y}.pdf",
		"deep/a/b/c/d.pdf",
	}
	for i, name := range names {
		k := key(t, name)
		body := []byte(fmt.Sprintf("%%PDF-1.7 document %d", i))
		pr, err := p.PresignPut(ctx, k, "application/pdf", int64(len(body)), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if r := do(t, pr.Method, pr.URL, pr.Headers, body); r.status != http.StatusOK {
			t.Errorf("PUT %q: status %d: %s", k, r.status, r.body)
			continue
		}
		rc, info, err := s.Get(ctx, k)
		if err != nil {
			t.Errorf("S3 client Get(%q) after presigned PUT: %v", k, err)
			continue
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, body) || info.ContentType != "application/pdf" {
			t.Errorf("S3 client Get(%q) = %q %+v %v", k, got, info, err)
		}
		u, err := p.PresignGet(ctx, k, time.Minute, name)
		if err != nil {
			t.Fatal(err)
		}
		r := do(t, http.MethodGet, u, nil, nil)
		if r.status != http.StatusOK || !bytes.Equal(r.body, body) {
			t.Errorf("presigned GET %q: status %d body %q", k, r.status, r.body)
		}
		if cd, want := r.header.Get("Content-Disposition"), s3presign.ContentDisposition(name); cd != want {
			t.Errorf("presigned GET %q: Content-Disposition %q, want %q", k, cd, want)
		}
	}
}

// TestStoreSignsAlike: s3docs.Store signs through s3presign, so a URL from either one
// works and the S3 client sees the same object.
func TestStoreSignsAlike(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, s := newPresigner(t), newStore(t)
	k := key(t, "doc.pdf")
	body := []byte("%PDF-1.7")
	pr, err := s.PresignPut(ctx, k, "application/pdf", int64(len(body)), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, pr.Method, pr.URL, pr.Headers, body); r.status != http.StatusOK {
		t.Fatalf("store's PUT: status %d: %s", r.status, r.body)
	}
	u, err := p.PresignGet(ctx, k, time.Minute, "doc.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, http.MethodGet, u, nil, nil); r.status != http.StatusOK || !bytes.Equal(r.body, body) {
		t.Fatalf("signer's GET: status %d body %q", r.status, r.body)
	}
}
