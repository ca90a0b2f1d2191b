package s3docs_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/s3docs"
)

func readAll(t *testing.T, s *s3docs.Store, k string) ([]byte, kyc.ObjectInfo) {
	t.Helper()
	body, info, err := s.Get(context.Background(), k)
	if err != nil {
		t.Fatalf("Get(%q): %v", k, err)
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return b, info
}

func TestCopy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)

	t.Run("keeps bytes and type", func(t *testing.T) {
		// Keys like the service's (slashes) and characters that need escaping in the
		// copy source: space, '+', '%', '?', '#', '&', '=' and non-ASCII.
		for _, name := range []string{"uploads/acc/frontOfID/id", "a b+c%20d?e#f&g=h/ü.pdf"} {
			src, dst := key(t, "src/"+name), key(t, "dst/"+name)
			want := []byte("%PDF-1.7 copy me\x00\xff")
			if err := s.Put(ctx, src, "application/pdf", bytes.NewReader(want)); err != nil {
				t.Fatal(err)
			}
			if err := s.Copy(ctx, src, dst); err != nil {
				t.Fatalf("Copy(%q, %q): %v", src, dst, err)
			}
			got, info := readAll(t, s, dst)
			if !bytes.Equal(got, want) {
				t.Errorf("%q: copied bytes %q, want %q", name, got, want)
			}
			if info.ContentType != "application/pdf" || info.Size != int64(len(want)) {
				t.Errorf("%q: copy is %+v, want application/pdf of %d bytes", name, info, len(want))
			}
			// The source stays.
			if got, _ := readAll(t, s, src); !bytes.Equal(got, want) {
				t.Errorf("%q: source changed to %q", name, got)
			}
		}
	})

	t.Run("replaces what the uploader stored", func(t *testing.T) {
		// What a presigned PUT could once store with an upload: its own caching rule,
		// disposition, encoding, type and user metadata. None of it may reach the copy
		// that is served.
		body := []byte("\x89PNG\r\n\x1a\n not html")
		raw, err := s3docs.NewClient(ctx, gw.ClientEndpoint())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			copy func(src, dst string) error
			want string
		}{
			{"CopyAs", func(src, dst string) error { return s.CopyAs(ctx, src, dst, "image/png") }, "image/png"},
			{"Copy", func(src, dst string) error { return s.Copy(ctx, src, dst) }, "text/html"},
		} {
			src, dst := key(t, c.name+"/uploads/acc/frontOfID/id"), key(t, c.name+"/accounts/acc/frontOfID/id")
			if _, err := raw.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(src), Body: bytes.NewReader(body),
				ContentType: aws.String("text/html"), CacheControl: aws.String("public, max-age=31536000"),
				ContentDisposition: aws.String("inline"), ContentEncoding: aws.String("gzip"),
				Metadata: map[string]string{"evil": "1"}}); err != nil {
				t.Fatal(err)
			}
			if m := rawHead(t, src); aws.ToString(m.CacheControl) == "" || len(m.Metadata) == 0 {
				t.Fatalf("the gateway did not store the uploader's metadata (%+v): the test proves nothing", m)
			}
			if err := c.copy(src, dst); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			m := rawHead(t, dst)
			if got := aws.ToString(m.ContentType); got != c.want {
				t.Errorf("%s: Content-Type %q, want %q", c.name, got, c.want)
			}
			if got := aws.ToString(m.CacheControl); got != "no-store" {
				t.Errorf("%s: Cache-Control %q, want no-store", c.name, got)
			}
			if m.ContentDisposition != nil || m.ContentEncoding != nil || len(m.Metadata) != 0 {
				t.Errorf("%s: copy carries the uploader's Content-Disposition %q, Content-Encoding %q, metadata %v",
					c.name, aws.ToString(m.ContentDisposition), aws.ToString(m.ContentEncoding), m.Metadata)
			}
			if got, _ := readAll(t, s, dst); !bytes.Equal(got, body) {
				t.Errorf("%s: copied bytes %q", c.name, got)
			}
		}
	})

	t.Run("bad content type", func(t *testing.T) {
		src, dst := key(t, "src"), key(t, "dst")
		if err := s.Put(ctx, src, "image/png", bytes.NewReader([]byte("x"))); err != nil {
			t.Fatal(err)
		}
		for _, ct := range []string{"", "image/png\r\nX-Evil: 1"} {
			if err := s.CopyAs(ctx, src, dst, ct); kyc.ErrorCode(err) != kyc.EMISSING && kyc.ErrorCode(err) != kyc.EINVALID {
				t.Errorf("CopyAs with type %q = %v, want a field error", ct, err)
			}
		}
		wantNotFound(t, s, dst)
	})

	t.Run("missing source", func(t *testing.T) {
		dst := key(t, "dst")
		err := s.Copy(ctx, key(t, "nothing-here"), dst)
		if !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Fatalf("Copy of a missing source = %v, want ENOTFOUND", err)
		}
		if err := s.CopyAs(ctx, key(t, "nothing-here"), dst, "image/png"); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Fatalf("CopyAs of a missing source = %v, want ENOTFOUND", err)
		}
		wantNotFound(t, s, dst)
	})

	t.Run("overwrites destination", func(t *testing.T) {
		src, dst := key(t, "src"), key(t, "dst")
		if err := s.Put(ctx, dst, "image/png", bytes.NewReader([]byte("old, longer contents"))); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, src, "image/jpeg", bytes.NewReader([]byte("new"))); err != nil {
			t.Fatal(err)
		}
		if err := s.Copy(ctx, src, dst); err != nil {
			t.Fatal(err)
		}
		got, info := readAll(t, s, dst)
		if string(got) != "new" || info.ContentType != "image/jpeg" {
			t.Errorf("dst = %q (%s), want %q (image/jpeg)", got, info.ContentType, "new")
		}
	})

	t.Run("onto itself", func(t *testing.T) {
		k := key(t, "self")
		if err := s.Put(ctx, k, "image/png", bytes.NewReader([]byte("same"))); err != nil {
			t.Fatal(err)
		}
		if err := s.Copy(ctx, k, k); err != nil {
			t.Fatalf("Copy onto itself: %v", err)
		}
		if got, _ := readAll(t, s, k); string(got) != "same" {
			t.Errorf("object changed to %q", got)
		}
		if err := s.Copy(ctx, key(t, "absent"), key(t, "absent")); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Errorf("Copy of a missing key onto itself = %v, want ENOTFOUND", err)
		}
	})

	t.Run("empty keys", func(t *testing.T) {
		if err := s.Copy(ctx, "", key(t, "x")); err == nil {
			t.Error("Copy with empty src succeeded")
		}
		if err := s.Copy(ctx, key(t, "x"), ""); err == nil {
			t.Error("Copy with empty dst succeeded")
		}
	})
}
