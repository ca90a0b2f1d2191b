// Package sessiontoken seals a session's caller into its bearer token, so a route can
// know who calls before it reads anything. The token stays opaque (AES-256-GCM under a
// key derived from the store's key-hash secret: random bytes to anyone without the key)
// and is still stored only as its SHA-256: the stored session, not the token, decides
// whether the token is live, so logout, a role change, a freeze or a password reset end
// it at once.
package sessiontoken

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Prefix starts every token, so a leaked one is recognisable (secret scanners, logs).
const Prefix = "rn_"

const (
	version     = 1
	randomBytes = 16 // the part no two tokens share
	maxField    = 255
	// maxTokenLen bounds what Open decodes: a token longer than any Seal makes is refused
	// before any work.
	maxTokenLen = 1024
)

// ErrInvalid is any token Open refuses: not ours, altered, or expired.
var ErrInvalid = errors.New("sessiontoken: invalid or expired token")

// Codec seals and opens tokens under one key.
type Codec struct {
	aead cipher.AEAD
}

// New derives the token key from secret (the store's KEY_HASH_SECRET), so a deployment
// has one secret to keep and the token key is never the key-hash key itself.
func New(secret []byte) (*Codec, error) {
	if len(secret) == 0 {
		return nil, errors.New("sessiontoken: empty secret")
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("realname session token v1"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("sessiontoken: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sessiontoken: %w", err)
	}
	return &Codec{aead: aead}, nil
}

// Seal returns a new token for p that expires at expires. Every call gives a different
// token, even for the same caller and time.
func (c *Codec) Seal(p kyc.Principal, expires time.Time) (string, error) {
	fields := []string{p.UserID, p.AccountID, string(p.Role)}
	if p.Role == kyc.RoleIntegrator {
		// An integrator has no user or account: its app key takes both places, so the
		// token keeps one layout (Open maps it back).
		fields = []string{p.AppKey, p.AppKey, string(p.Role)}
	}
	plain := make([]byte, 0, 1+8+randomBytes+len(fields)*(1+maxField))
	plain = append(plain, version)
	plain = binary.BigEndian.AppendUint64(plain, uint64(expires.Unix()))
	r := make([]byte, randomBytes)
	if _, err := rand.Read(r); err != nil {
		return "", fmt.Errorf("sessiontoken: random: %w", err)
	}
	plain = append(plain, r...)
	for _, f := range fields {
		if f == "" || len(f) > maxField {
			return "", fmt.Errorf("sessiontoken: principal field of %d bytes (want 1 to %d)", len(f), maxField)
		}
		plain = append(plain, byte(len(f)))
		plain = append(plain, f...)
	}
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("sessiontoken: nonce: %w", err)
	}
	sealed := c.aead.Seal(nonce, nonce, plain, []byte(Prefix))
	return Prefix + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Open returns the caller token was sealed for, with TokenHash set, or ErrInvalid if the
// token is not one of this key's, was altered, or has expired at now. It reads nothing:
// whether the session still exists is the store's answer.
func (c *Codec) Open(token string, now time.Time) (kyc.Principal, error) {
	body, ok := strings.CutPrefix(token, Prefix)
	if !ok || len(token) > maxTokenLen {
		return kyc.Principal{}, ErrInvalid
	}
	sealed, err := base64.RawURLEncoding.DecodeString(body)
	ns := c.aead.NonceSize()
	if err != nil || len(sealed) < ns+c.aead.Overhead() {
		return kyc.Principal{}, ErrInvalid
	}
	plain, err := c.aead.Open(nil, sealed[:ns], sealed[ns:], []byte(Prefix))
	if err != nil || len(plain) < 1+8+randomBytes || plain[0] != version {
		return kyc.Principal{}, ErrInvalid
	}
	expires := time.Unix(int64(binary.BigEndian.Uint64(plain[1:9])), 0)
	if !expires.After(now) {
		return kyc.Principal{}, ErrInvalid
	}
	rest := plain[1+8+randomBytes:]
	var fields [3]string
	for i := range fields {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) || rest[0] == 0 {
			return kyc.Principal{}, ErrInvalid
		}
		fields[i], rest = string(rest[1:1+int(rest[0])]), rest[1+int(rest[0]):]
	}
	if len(rest) != 0 {
		return kyc.Principal{}, ErrInvalid
	}
	if kyc.Role(fields[2]) == kyc.RoleIntegrator {
		return kyc.Principal{AppKey: fields[0], Role: kyc.RoleIntegrator, TokenHash: Hash(token)}, nil
	}
	return kyc.Principal{UserID: fields[0], AccountID: fields[1], Role: kyc.Role(fields[2]), TokenHash: Hash(token)}, nil
}

// Hash is how a token is stored and looked up: only its SHA-256 ever leaves memory.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
