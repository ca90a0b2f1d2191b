package secretbox_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/realname-kyc/realname/pkg/secretbox"
)

func TestFileBox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "webhook.key")
	box, err := secretbox.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("key file %v, %v; want 32 bytes, 0600", fi, err)
	}
	sealed, err := box.Seal(t.Context(), "ep1", []byte("whsec_secret"))
	if err != nil {
		t.Fatal(err)
	}
	// Reopened from the same file, the box opens what it sealed: the key persists.
	again, err := secretbox.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Open(t.Context(), "ep1", sealed); err != nil || string(got) != "whsec_secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := again.Open(t.Context(), "ep2", sealed); err == nil {
		t.Error("a secret sealed for ep1 opened for ep2")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := again.Open(t.Context(), "ep1", sealed); err == nil {
		t.Error("a tampered secret opened")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := secretbox.Open(path); err == nil {
		t.Error("a key file readable by others was accepted")
	}
}
