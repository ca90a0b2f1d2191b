// Package kmsseal is the ca.Sealer on AWS: envelope encryption of the private keys the
// CA generates. Each Seal asks KMS for a fresh AES-256 data key (GenerateDataKey) under
// one symmetric key, encrypts locally with AES-256-GCM, and keeps only the data key's KMS
// ciphertext next to the sealed key; Open has KMS decrypt the data key. The label
// (ca.KeyLabel, naming the certificate) is both the GCM additional data and the KMS
// encryption context {"purpose": Purpose, "label": label}: a sealed key opens only for
// its own certificate, and CloudTrail shows which certificate's key each Decrypt opened.
//
// An envelope rather than Encrypt directly (as pkg/kmsbox does for 51-byte webhook
// secrets): KMS's 4 KB Encrypt limit fits a P-256 key but not every key type, and the
// envelope keeps the key material itself out of KMS requests.
//
// Sealed form: version byte 1 | 2-byte big-endian length of the data key ciphertext |
// data key ciphertext | 12-byte GCM nonce | GCM ciphertext and tag.
package kmsseal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/realname-kyc/realname/pkg/ca"
)

// Purpose is the encryption context's "purpose" value.
const Purpose = "certificate-key"

const version = 1

// API is the part of the KMS client the sealer calls; *kms.Client is one.
type API interface {
	GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, optFns ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, optFns ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// Sealer seals under data keys of the KMS key keyID.
type Sealer struct {
	client API
	keyID  string
}

var _ ca.Sealer = (*Sealer)(nil)

// New returns a sealer over client and the symmetric key keyID (id, ARN or alias).
func New(client API, keyID string) *Sealer { return &Sealer{client: client, keyID: keyID} }

func encryptionContext(label string) map[string]string {
	return map[string]string{"purpose": Purpose, "label": label}
}

// Seal encrypts plaintext under a new data key, bound to label.
func (s *Sealer) Seal(ctx context.Context, label string, plaintext []byte) ([]byte, error) {
	out, err := s.client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
		KeyId: aws.String(s.keyID), KeySpec: types.DataKeySpecAes256, EncryptionContext: encryptionContext(label),
	})
	if err != nil {
		return nil, fmt.Errorf("kmsseal: generate data key: %w", err)
	}
	defer clear(out.Plaintext)
	if len(out.CiphertextBlob) == 0 || len(out.CiphertextBlob) > 0xffff {
		return nil, fmt.Errorf("kmsseal: data key ciphertext of %d bytes", len(out.CiphertextBlob))
	}
	aead, err := gcm(out.Plaintext)
	if err != nil {
		return nil, err
	}
	sealed := make([]byte, 0, 3+len(out.CiphertextBlob)+aead.NonceSize()+len(plaintext)+aead.Overhead())
	sealed = append(sealed, version)
	sealed = binary.BigEndian.AppendUint16(sealed, uint16(len(out.CiphertextBlob)))
	sealed = append(sealed, out.CiphertextBlob...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("kmsseal: nonce: %w", err)
	}
	sealed = append(sealed, nonce...)
	return aead.Seal(sealed, nonce, plaintext, []byte(label)), nil
}

// Open decrypts what Seal sealed under label. KMS refuses a data key sealed for another
// label or under another key (KeyId is pinned); GCM refuses anything tampered with.
func (s *Sealer) Open(ctx context.Context, label string, sealed []byte) ([]byte, error) {
	if len(sealed) < 3 || sealed[0] != version {
		return nil, errors.New("kmsseal: not a sealed key of version 1")
	}
	n := int(binary.BigEndian.Uint16(sealed[1:3]))
	rest := sealed[3:]
	if len(rest) < n {
		return nil, errors.New("kmsseal: sealed key too short")
	}
	blob, rest := rest[:n], rest[n:]
	out, err := s.client.Decrypt(ctx, &kms.DecryptInput{
		KeyId: aws.String(s.keyID), CiphertextBlob: blob, EncryptionContext: encryptionContext(label),
	})
	if err != nil {
		return nil, fmt.Errorf("kmsseal: decrypt data key: %w", err)
	}
	defer clear(out.Plaintext)
	aead, err := gcm(out.Plaintext)
	if err != nil {
		return nil, err
	}
	if len(rest) < aead.NonceSize() {
		return nil, errors.New("kmsseal: sealed key too short")
	}
	plaintext, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], []byte(label))
	if err != nil {
		return nil, fmt.Errorf("kmsseal: open: %w", err)
	}
	return plaintext, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("kmsseal: data key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("kmsseal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("kmsseal: %w", err)
	}
	return aead, nil
}
