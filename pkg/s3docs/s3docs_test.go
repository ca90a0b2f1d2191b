package s3docs_test

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
)

const bucket = "kyc-docs"

// gw is the one embedded gateway of this test binary (embedgw allows one per process).
// Tests keep apart by key prefix (their own name).
var gw *localgw.Gateway

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "s3docs-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Never skip: a gateway that cannot start is a failure of the local setup this
	// package promises to work with.
	gw, err = localgw.Start(context.Background(), localgw.Config{Dir: dir, Buckets: []string{bucket}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: start embedded S3 gateway:", err)
		return 1
	}
	defer gw.Close()
	return m.Run()
}

func newStore(t *testing.T) *s3docs.Store {
	t.Helper()
	c, err := s3docs.NewClient(context.Background(), gw.ClientEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	return s3docs.New(c, bucket)
}

// key returns a key under the test's own prefix.
func key(t *testing.T, name string) string {
	return strings.ReplaceAll(t.Name(), "/", "_") + "/" + name
}

// result is what a plain HTTP client saw.
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

// rawHead is the S3 client's HeadObject of k: every piece of metadata stored with it.
func rawHead(t *testing.T, k string) *s3.HeadObjectOutput {
	t.Helper()
	c, err := s3docs.NewClient(context.Background(), gw.ClientEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
	if err != nil {
		t.Fatalf("HeadObject(%q): %v", k, err)
	}
	return out
}

func wantNotFound(t *testing.T, s *s3docs.Store, k string) {
	t.Helper()
	_, err := s.Head(context.Background(), k)
	if !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Fatalf("Head(%q) = %v, want ENOTFOUND (no object stored)", k, err)
	}
}

func wantRefused(t *testing.T, r result) {
	t.Helper()
	if r.status != http.StatusForbidden {
		t.Fatalf("status %d, want 403; body %s", r.status, r.body)
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := s3docs.NewClient(ctx, gw.ClientEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	if err := s3docs.New(c, "no-such-bucket").Ping(ctx); err == nil {
		t.Fatal("Ping of a missing bucket succeeded")
	}
}

func TestPresignPut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	body := []byte("\x89PNG\r\n\x1a\n pretend this is an ID card")
	const ct = "image/png"

	presign := func(t *testing.T, k string) kyc.PresignedRequest {
		t.Helper()
		pr, err := s.PresignPut(ctx, k, ct, int64(len(body)), time.Minute)
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
		// Presigned PUTs come from clients without the SDK: no SDK checksum may be required.
		for p := range q {
			if strings.Contains(strings.ToLower(p), "checksum") {
				t.Fatalf("presigned URL carries %s", p)
			}
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
		if info.Size != int64(len(body)) || info.ContentType != ct || info.ETag == "" || strings.Contains(info.ETag, `"`) {
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
		h := map[string]string{"Content-Type": "text/html"}
		wantRefused(t, do(t, pr.Method, pr.URL, h, body))
		wantNotFound(t, s, k)
	})

	t.Run("missing content type is refused", func(t *testing.T) {
		k := key(t, "x")
		pr := presign(t, k)
		wantRefused(t, do(t, pr.Method, pr.URL, nil, body))
		wantNotFound(t, s, k)
	})

	t.Run("uploader's Cache-Control is refused", func(t *testing.T) {
		// The attack: a PUT that adds Cache-Control: public, max-age=31536000 to
		// have the document cached wherever it is served.
		k := key(t, "x")
		pr := presign(t, k)
		h := maps.Clone(pr.Headers)
		h["Cache-Control"] = "public, max-age=31536000"
		wantRefused(t, do(t, pr.Method, pr.URL, h, body))
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
		wantNotFound(t, s, k)
	})

	t.Run("tampered signature is refused", func(t *testing.T) {
		k := key(t, "x")
		pr := presign(t, k)
		u := mustURL(t, pr.URL)
		q := u.Query()
		sig := []byte(q.Get("X-Amz-Signature"))
		if sig[0] == '0' {
			sig[0] = '1'
		} else {
			sig[0] = '0'
		}
		q.Set("X-Amz-Signature", string(sig))
		u.RawQuery = q.Encode()
		wantRefused(t, do(t, pr.Method, u.String(), pr.Headers, body))
		wantNotFound(t, s, k)
	})

	t.Run("longer expiry is refused", func(t *testing.T) {
		k := key(t, "x")
		pr := presign(t, k)
		u := mustURL(t, pr.URL)
		q := u.Query()
		q.Set("X-Amz-Expires", "604800")
		u.RawQuery = q.Encode()
		wantRefused(t, do(t, pr.Method, u.String(), pr.Headers, body))
		wantNotFound(t, s, k)
	})

	t.Run("expired URL is refused", func(t *testing.T) {
		t.Parallel()
		k := key(t, "x")
		pr, err := s.PresignPut(ctx, k, ct, int64(len(body)), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// X-Amz-Date has second precision: after 2.1s the 1s window has passed for sure.
		time.Sleep(time.Until(pr.ExpiresAt) + 1100*time.Millisecond)
		wantRefused(t, do(t, pr.Method, pr.URL, pr.Headers, body))
		wantNotFound(t, s, k)
	})

	t.Run("signed with the wrong secret is refused", func(t *testing.T) {
		bad := newStoreWithSecret(t, "not-the-secret")
		k := key(t, "x")
		pr, err := bad.PresignPut(ctx, k, ct, int64(len(body)), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		wantRefused(t, do(t, pr.Method, pr.URL, pr.Headers, body))
		wantNotFound(t, s, k)
	})

	t.Run("bad input", func(t *testing.T) {
		cases := []struct {
			key, ct string
			n       int64
			ttl     time.Duration
			code    string
		}{
			{"", ct, 1, time.Minute, kyc.EMISSING},
			{"k", ct, 0, time.Minute, kyc.EINVALID},
			{"k", "", 1, time.Minute, kyc.EMISSING},
			{"k", "image/png\r\nX-Evil: 1", 1, time.Minute, kyc.EINVALID},
			{"k", "not a type", 1, time.Minute, kyc.EINVALID},
			{"k", ct, 1, 8 * 24 * time.Hour, kyc.EINTERNAL},
		}
		for _, c := range cases {
			_, err := s.PresignPut(ctx, c.key, c.ct, c.n, c.ttl)
			if kyc.ErrorCode(err) != c.code {
				t.Errorf("PresignPut(%q, %q, %d, %v) = %v, want %s", c.key, c.ct, c.n, c.ttl, err, c.code)
			}
		}
	})
}

func TestWrongSecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	k := key(t, "doc")
	if err := s.Put(ctx, k, "application/pdf", bytes.NewReader([]byte("%PDF-1.7"))); err != nil {
		t.Fatal(err)
	}
	bad := newStoreWithSecret(t, "not-the-secret")
	if err := bad.Ping(ctx); err == nil {
		t.Error("Ping with the wrong secret succeeded")
	}
	if _, err := bad.Head(ctx, k); err == nil || kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("Head with the wrong secret = %v, want a signature error", err)
	}
	if err := bad.Put(ctx, key(t, "other"), "application/pdf", bytes.NewReader([]byte("x"))); err == nil {
		t.Error("Put with the wrong secret succeeded")
	}
	wantNotFound(t, s, key(t, "other"))
}

func TestPresignGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	k := key(t, "license.pdf")
	body := []byte("%PDF-1.7 business license")
	if err := s.Put(ctx, k, "application/pdf", bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	u, err := s.PresignGet(ctx, k, time.Minute, `../营业执照 "copy"`+"\r\nX-Evil: 1.pdf")
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

	t.Run("tampered", func(t *testing.T) {
		other := strings.Replace(u, "license.pdf", "license.pdX", 1)
		wantRefused(t, do(t, http.MethodGet, other, nil, nil))
	})
	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		u, err := s.PresignGet(ctx, k, time.Second, "a.pdf")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2100 * time.Millisecond)
		wantRefused(t, do(t, http.MethodGet, u, nil, nil))
	})
	t.Run("missing object", func(t *testing.T) {
		u, err := s.PresignGet(ctx, key(t, "none"), time.Minute, "a.pdf")
		if err != nil {
			t.Fatal(err)
		}
		if r := do(t, http.MethodGet, u, nil, nil); r.status != http.StatusNotFound {
			t.Fatalf("status %d, want 404", r.status)
		}
	})
}

func TestGetRange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	k := key(t, "doc")
	body := []byte("0123456789")
	if err := s.Put(ctx, k, "application/octet-stream", bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		off, n int64
		want   string
	}{
		{0, 4, "0123"},
		{3, 2, "34"},
		{8, 5, "89"}, // fewer at the end
		{0, 100, "0123456789"},
		{10, 4, ""}, // at the end
		{50, 4, ""}, // past the end
	}
	for _, c := range cases {
		got, err := s.GetRange(ctx, k, c.off, c.n)
		if err != nil || string(got) != c.want {
			t.Errorf("GetRange(%d, %d) = %q, %v; want %q", c.off, c.n, got, err, c.want)
		}
	}
	if _, err := s.GetRange(ctx, key(t, "none"), 0, 4); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("GetRange of a missing key = %v, want ENOTFOUND", err)
	}
	if _, err := s.GetRange(ctx, k, -1, 4); err == nil {
		t.Error("negative offset accepted")
	}
}

func TestGetPutDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	k := key(t, "photo.jpg")
	body := bytes.Repeat([]byte("jpeg"), 64<<10) // 256 KiB: more than one read
	if err := s.Put(ctx, k, "image/jpeg", bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	rc, info, err := s.Get(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("Get body: %d bytes, %v", len(got), err)
	}
	if info.Size != int64(len(body)) || info.ContentType != "image/jpeg" || info.ETag == "" {
		t.Fatalf("Get info %+v", info)
	}
	if m := rawHead(t, k); aws.ToString(m.CacheControl) != "no-store" {
		t.Fatalf("Put stored Cache-Control %q, want no-store", aws.ToString(m.CacheControl))
	}
	head, err := s.Head(ctx, k)
	if err != nil || head != info {
		t.Fatalf("Head = %+v, %v; Get said %+v", head, err, info)
	}

	// Put replaces.
	if err := s.Put(ctx, k, "image/png", bytes.NewReader([]byte("png"))); err != nil {
		t.Fatal(err)
	}
	if head, err := s.Head(ctx, k); err != nil || head.Size != 3 || head.ContentType != "image/png" {
		t.Fatalf("after overwrite Head = %+v, %v", head, err)
	}

	if err := s.Delete(ctx, k); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, s, k)
	if _, _, err := s.Get(ctx, k); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Fatalf("Get after Delete = %v, want ENOTFOUND", err)
	}
	if err := s.Delete(ctx, k); err != nil {
		t.Fatalf("second Delete = %v, want nil", err)
	}
	if err := s.Delete(ctx, key(t, "never-existed")); err != nil {
		t.Fatalf("Delete of a missing key = %v, want nil", err)
	}
}

func TestSafeFilename(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"id-front.JPG":              "id-front.JPG",
		"身份证 正面.jpg":                "document.jpg",
		`C:\Users\me\scan 01.pdf`:   "scan_01.pdf",
		"../../etc/passwd":          "passwd",
		".hidden":                   "hidden",
		"":                          "document",
		`a"b;c.png`:                 "a_b_c.png",
		"report.tar.gz":             "report.tar.gz",
		"x.weird ext":               "x.weird_ext",
		strings.Repeat("a", 300):    strings.Repeat("a", 100),
		"résumé.pdf":                "r_sum.pdf",
		"name\r\nSet-Cookie: a=b.p": "name_Set-Cookie_a_b.p",
	}
	for in, want := range cases {
		if got := s3docs.SafeFilename(in); got != want {
			t.Errorf("SafeFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

func newStoreWithSecret(t *testing.T, secret string) *s3docs.Store {
	t.Helper()
	e := gw.ClientEndpoint()
	e.SecretKey = secret
	c, err := s3docs.NewClient(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	return s3docs.New(c, bucket)
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
