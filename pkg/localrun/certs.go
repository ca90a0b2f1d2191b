package localrun

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/certs"
	"github.com/realname-kyc/realname/pkg/kmssigner"
	"github.com/realname-kyc/realname/pkg/secretbox"
)

// addCA gives the local services the platform CA (issue 15): its signing key in a PEM file
// (<dir>/ca.key) and the generated subject keys sealed with a separate AES key file
// (<dir>/cert-keys.key), both created on first use with mode 0600, in place of the two
// KMS keys. The CA certificate is kept in the table, as on AWS. These files must never
// hold a real CA's key.
func addCA(ctx context.Context, b *Backends, dir string) error {
	signer, err := kmssigner.OpenFile(filepath.Join(dir, "ca.key"))
	if err != nil {
		return fmt.Errorf("CA key: %w", err)
	}
	box, err := secretbox.Open(filepath.Join(dir, "cert-keys.key"))
	if err != nil {
		return fmt.Errorf("certificate key box: %w", err)
	}
	store, _ := b.Services.Store.(certs.Store)
	auth, err := certs.NewAuthority(ctx, store, signer, box, b.Config.CASubject, time.Now())
	if err != nil {
		return err
	}
	b.Services.CA = ca.Ready(auth)
	b.Describe["ca"] = "CA key " + filepath.Join(dir, "ca.key") + ", subject keys sealed with " + filepath.Join(dir, "cert-keys.key") + " (not a licensed certification service)"
	return nil
}
