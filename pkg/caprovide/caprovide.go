// Package caprovide gives a Lambda function the platform CA on AWS KMS (issue 15): the
// signer on CA_KMS_KEY_ID (kmssigner, an ECC_NIST_P256 key) and the sealer of generated
// subject keys on CERT_KEYS_KMS_KEY_ID (kmsseal). A package of its own so that only the
// certificate functions link the KMS client and pkg/ca's signing code.
package caprovide

import (
	"context"
	"errors"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/ca/kmsseal"
	"github.com/realname-kyc/realname/pkg/certs"
	"github.com/realname-kyc/realname/pkg/kmssigner"
)

// initTimeout bounds the start-up calls (GetPublicKey, the CA certificate's read and, the
// first time, its signing and write) within Lambda's 10-second init.
const initTimeout = 8 * time.Second

// Provide gives e the CA. It needs the store first (dynamo.Provide): the CA certificate
// and the identifier salt come from it.
func Provide(e *app.Env) error {
	if e.Config.CAKeyID == "" || e.Config.CertKeysKeyID == "" {
		return errors.New("caprovide: CA_KMS_KEY_ID and CERT_KEYS_KMS_KEY_ID must be set")
	}
	store, _ := e.Store.(certs.Store)
	if store == nil {
		return errors.New("caprovide: no certificate store: dynamo.Provide must come first")
	}
	ctx, cancel := context.WithTimeout(context.Background(), initTimeout)
	defer cancel()
	client := kmssigner.Client(e.AWS, e.Config.KMSEndpoint)
	signer, err := kmssigner.NewKMS(ctx, client, e.Config.CAKeyID)
	if err != nil {
		return err
	}
	auth, err := certs.NewAuthority(ctx, store, signer, kmsseal.New(client, e.Config.CertKeysKeyID), e.Config.CASubject, time.Now())
	if err != nil {
		return err
	}
	e.CA = auth
	return nil
}
