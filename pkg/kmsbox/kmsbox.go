// Package kmsbox is the webhook.SecretBox on AWS KMS: each endpoint secret is encrypted
// under one symmetric key (WEBHOOK_KMS_KEY_ID) with the encryption context
// {"purpose": "webhook-secret", "endpoint_id": <id>}, so a ciphertext decrypts only for
// the endpoint it was sealed for, every use is in CloudTrail with the endpoint's id, and
// the key policy or grants can be limited to that purpose. Secrets are 51 bytes, well
// under KMS's 4 KB Encrypt limit, so no envelope (data key) is needed.
package kmsbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kmsclient"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// Purpose is the encryption context's "purpose" value.
const Purpose = "webhook-secret"

// API is the part of the KMS client the box calls; *kms.Client is one.
type API interface {
	Encrypt(ctx context.Context, in *kms.EncryptInput, optFns ...func(*kms.Options)) (*kms.EncryptOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, optFns ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// Box seals with Encrypt and opens with Decrypt under KeyID.
type Box struct {
	client API
	keyID  string
}

var _ webhook.SecretBox = (*Box)(nil)

// New returns a box over client and the key keyID (id, ARN or alias).
func New(client API, keyID string) *Box { return &Box{client: client, keyID: keyID} }

func encryptionContext(endpointID string) map[string]string {
	return map[string]string{"purpose": Purpose, "endpoint_id": endpointID}
}

// Seal encrypts secret for endpointID.
func (b *Box) Seal(ctx context.Context, endpointID string, secret []byte) ([]byte, error) {
	out, err := b.client.Encrypt(ctx, &kms.EncryptInput{
		KeyId: aws.String(b.keyID), Plaintext: secret, EncryptionContext: encryptionContext(endpointID),
	})
	if err != nil {
		return nil, fmt.Errorf("kms seal webhook secret: %w", err)
	}
	return out.CiphertextBlob, nil
}

// Open decrypts a sealed secret of endpointID; KMS refuses one sealed for another
// endpoint (the context differs) or under another key (KeyId is pinned).
func (b *Box) Open(ctx context.Context, endpointID string, sealed []byte) ([]byte, error) {
	out, err := b.client.Decrypt(ctx, &kms.DecryptInput{
		KeyId: aws.String(b.keyID), CiphertextBlob: sealed, EncryptionContext: encryptionContext(endpointID),
	})
	if err != nil {
		return nil, fmt.Errorf("kms open webhook secret: %w", err)
	}
	return out.Plaintext, nil
}

// Provide gives e the secret box on the key WEBHOOK_KMS_KEY_ID (through KMS_ENDPOINT when
// set).
func Provide(e *app.Env) error {
	if e.Config.WebhookKeyID == "" {
		return errors.New("kmsbox: WEBHOOK_KMS_KEY_ID is not set")
	}
	e.Secrets = New(kmsclient.New(e.AWS, e.Config.KMSEndpoint), e.Config.WebhookKeyID)
	return nil
}
