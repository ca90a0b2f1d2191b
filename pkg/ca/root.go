package ca

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Errors of a RootStore.
var (
	ErrNoRoot     = errors.New("ca: no CA certificate stored")
	ErrRootExists = errors.New("ca: a CA certificate is stored already")
)

// RootStore keeps the one CA certificate. On AWS it is a DynamoDB item written with a
// condition that it does not exist; locally a file (FileRootStore).
type RootStore interface {
	// LoadRoot returns the stored CA certificate (DER), or ErrNoRoot.
	LoadRoot(ctx context.Context) ([]byte, error)
	// CreateRoot stores der unless a certificate is stored already (ErrRootExists).
	CreateRoot(ctx context.Context, der []byte) error
}

// Bootstrap returns the stored CA certificate (DER), creating and storing it first when
// there is none. Of two processes bootstrapping at once, one stores its certificate and
// both return that one. A stored certificate for another key than signer's is an error:
// the key was replaced, or the store belongs to another deployment.
func Bootstrap(ctx context.Context, store RootStore, signer crypto.Signer, subject pkix.Name, now time.Time) ([]byte, error) {
	der, err := store.LoadRoot(ctx)
	if errors.Is(err, ErrNoRoot) {
		der, err = NewRoot(ctx, signer, subject, now)
		if err != nil {
			return nil, err
		}
		switch err := store.CreateRoot(ctx, der); {
		case errors.Is(err, ErrRootExists):
			der, err = store.LoadRoot(ctx)
			if err != nil {
				return nil, fmt.Errorf("ca: load the CA certificate another process stored: %w", err)
			}
		case err != nil:
			return nil, fmt.Errorf("ca: store the CA certificate: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("ca: load the CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: parse the stored CA certificate: %w", err)
	}
	if err := matchesKey(cert, signer); err != nil {
		return nil, err
	}
	return der, nil
}

// FileRootStore keeps the CA certificate as a DER file (the local runner's
// .local/ca.der).
type FileRootStore struct {
	Path string
}

var _ RootStore = FileRootStore{}

// LoadRoot reads the file.
func (s FileRootStore) LoadRoot(context.Context) ([]byte, error) {
	der, err := os.ReadFile(s.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoRoot
	}
	if err != nil {
		return nil, fmt.Errorf("ca: read %s: %w", s.Path, err)
	}
	return der, nil
}

// CreateRoot writes der to a temporary file and links it into place, which fails if the
// file exists: the certificate appears whole or not at all, and only once.
func (s FileRootStore) CreateRoot(_ context.Context, der []byte) error {
	dir := filepath.Dir(s.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("ca: create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".ca-cert-*")
	if err != nil {
		return fmt.Errorf("ca: store CA certificate: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(der); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("ca: store CA certificate: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("ca: store CA certificate: %w", err)
	}
	if err := os.Link(tmp.Name(), s.Path); errors.Is(err, os.ErrExist) {
		return ErrRootExists
	} else if err != nil {
		return fmt.Errorf("ca: store CA certificate: %w", err)
	}
	return nil
}
