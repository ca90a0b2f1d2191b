// Package secretbox is the local webhook.SecretBox: AES-256-GCM under a key kept in a
// file (the local runner's .local/webhook.key), created on first use with mode 0600. On
// AWS the secrets are sealed by KMS instead (pkg/kmsbox); this key file must never hold
// real endpoints' secrets.
package secretbox

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/realname-kyc/realname/pkg/webhook"
)

const keyBytes = 32

// FileBox seals with AES-256-GCM; the endpoint id is the additional data, so a sealed
// secret opens only for the endpoint it was sealed for.
type FileBox struct {
	aead cipher.AEAD
}

var _ webhook.SecretBox = (*FileBox)(nil)

// Open reads the key at path, creating it (and its directory, 0700) with a random key
// when absent. A key file of another size, or readable by others, is refused.
func Open(path string) (*FileBox, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key, err = create(path)
	}
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secretbox: key file %s must be readable by its owner only (0600)", path)
	}
	return New(key)
}

// New returns a box under key (32 bytes).
func New(key []byte) (*FileBox, error) {
	if len(key) != keyBytes {
		return nil, fmt.Errorf("secretbox: key is %d bytes, want %d", len(key), keyBytes)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return &FileBox{aead: aead}, nil
}

func create(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	key := make([]byte, keyBytes)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	// O_EXCL: of two processes starting at once, one writes the key and the other reads it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(key); err != nil {
		_ = f.Close()
		return nil, err
	}
	return key, f.Close()
}

// Seal returns nonce || ciphertext.
func (b *FileBox) Seal(_ context.Context, endpointID string, secret []byte) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secretbox seal: %w", err)
	}
	return b.aead.Seal(nonce, nonce, secret, []byte(endpointID)), nil
}

// Open reverses Seal; an error for anything tampered with or sealed for another endpoint.
func (b *FileBox) Open(_ context.Context, endpointID string, sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("secretbox open: sealed secret too short")
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], []byte(endpointID))
	if err != nil {
		return nil, fmt.Errorf("secretbox open: %w", err)
	}
	return out, nil
}
