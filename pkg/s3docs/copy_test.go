package s3docs_test

import (
	"bytes"
	"context"
	"io"
	"testing"

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

	t.Run("missing source", func(t *testing.T) {
		dst := key(t, "dst")
		err := s.Copy(ctx, key(t, "nothing-here"), dst)
		if !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Fatalf("Copy of a missing source = %v, want ENOTFOUND", err)
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
