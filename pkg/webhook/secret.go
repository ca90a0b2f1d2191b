package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// SecretPrefix marks a Standard Webhooks symmetric secret, so receivers and secret
// scanners recognise it.
const SecretPrefix = "whsec_"

// SecretBytes is the size of the keys NewSecret makes: 256 bits, as HMAC-SHA256's block
// gains nothing from more and the spec asks for at least 24 bytes.
const SecretBytes = 32

// The spec bounds symmetric keys to 24..64 bytes; ParseSecret accepts the whole range so
// a secret imported from another Standard Webhooks sender still parses.
const (
	minSecretBytes = 24
	maxSecretBytes = 64
)

// NewSecret returns a new endpoint secret: "whsec_" + standard base64 of 32 random bytes.
// It is shown to the endpoint's owner once and stored encrypted, never logged.
func NewSecret() (string, error) {
	key := make([]byte, SecretBytes)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("webhook secret: read random: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// ParseSecret returns the HMAC key of a "whsec_" secret. Errors name the field "secret"
// and say what is wrong with it, never what it is.
func ParseSecret(s string) ([]byte, error) {
	if s == "" {
		return nil, kyc.FieldError(kyc.EMISSING, "secret", "is required")
	}
	encoded, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, kyc.FieldError(kyc.EINVALID, "secret", "must start with "+SecretPrefix)
	}
	key, err := base64.StdEncoding.Strict().DecodeString(encoded)
	if err != nil {
		// err quotes the offending input's offset, not its bytes, but the secret's
		// value stays out of the message anyway.
		return nil, kyc.FieldError(kyc.EINVALID, "secret", "must be standard base64 after "+SecretPrefix)
	}
	if len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return nil, kyc.FieldError(kyc.EINVALID, "secret",
			fmt.Sprintf("must encode %d to %d bytes", minSecretBytes, maxSecretBytes))
	}
	return key, nil
}
