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
	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/ca/kmsseal"
	"github.com/realname-kyc/realname/pkg/certs"
	"github.com/realname-kyc/realname/pkg/kmsclient"
	"github.com/realname-kyc/realname/pkg/kmssigner"
)

// initTimeout bounds the calls that make the CA on an instance's first signing request
// (GetPublicKey, the CA certificate's read and, the very first time, its signing and
// write), well within API Gateway's 29-second limit.
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
	client := kmsclient.New(e.AWS, e.Config.KMSEndpoint)
	keyID, sealKeyID, subject := e.Config.CAKeyID, e.Config.CertKeysKeyID, e.Config.CASubject
	// Made on the first request that signs (ca.Lazy), not here: the start stays free of
	// network calls.
	e.CA = ca.NewLazy(func(ctx context.Context) (*ca.Authority, error) {
		ctx, cancel := context.WithTimeout(ctx, initTimeout)
		defer cancel()
		signer, err := kmssigner.NewKMS(ctx, client, keyID)
		if err != nil {
			return nil, err
		}
		return certs.NewAuthority(ctx, store, signer, kmsseal.New(client, sealKeyID), subject, time.Now())
	})
	return nil
}
