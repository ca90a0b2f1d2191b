package kmssigner

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is a crypto.Signer over an ECDSA P-256 private key kept in a PEM file: the local
// stand-in for the KMS key.
type File struct {
	key *ecdsa.PrivateKey
}

var _ crypto.Signer = (*File)(nil)

const pemType = "PRIVATE KEY" // PKCS #8, which openssl reads as it is

// OpenFile reads the key at path, creating it (and its directory, 0700) with a new P-256
// key when absent. A key file readable by others, or holding anything but a P-256 key, is
// refused rather than repaired: it may have been copied or replaced.
func OpenFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		data, err = createFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("kmssigner: key file %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("kmssigner: key file %s must be readable by its owner only (0600)", path)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemType {
		return nil, fmt.Errorf("kmssigner: key file %s holds no %q PEM block", path, pemType)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("kmssigner: key file %s: %w", path, err)
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("kmssigner: key file %s holds a %T, want an ECDSA P-256 key", path, parsed)
	}
	return &File{key: key}, nil
}

func createFile(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	data := pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der})
	// Written whole to a temporary file, then linked into place: of two processes
	// starting at once, one links its key and the other reads that one (never a
	// half-written file), so both sign with the same key.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".signer-key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	// CreateTemp makes the file 0600 already.
	if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
		return os.ReadFile(path)
	} else if err != nil {
		return nil, err
	}
	return data, nil
}

// Public returns the key's public half.
func (s *File) Public() crypto.PublicKey { return &s.key.PublicKey }

// Sign signs digest with ECDSA and returns the ASN.1 DER signature, as KMS does.
func (s *File) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	sig, err := s.key.Sign(rand, digest, opts)
	if err != nil {
		return nil, fmt.Errorf("kmssigner: file key sign: %w", err)
	}
	return sig, nil
}
