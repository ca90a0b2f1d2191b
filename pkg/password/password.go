// Package password hashes and checks user passwords with argon2id and enforces the
// password policy (length, not the phone, not a common password).
package password

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters. They are recorded in every hash, so raising them
// later only needs NeedsRehash on the next successful login.
type Params struct {
	MemoryKiB uint32
	Passes    uint32
	Lanes     uint8
	SaltLen   int
	KeyLen    uint32
}

// OWASP is the OWASP Password Storage Cheat Sheet's argon2id minimum: 19 MiB, 2 passes,
// 1 lane, with a 16-byte salt and a 32-byte key.
func OWASP() Params {
	return Params{MemoryKiB: 19 * 1024, Passes: 2, Lanes: 1, SaltLen: 16, KeyLen: 32}
}

// Length limits of a password, in characters.
const (
	MinLength = 8
	MaxLength = 64
)

// ErrMalformedHash is returned for a stored hash this package cannot read.
var ErrMalformedHash = errors.New("password: malformed hash")

// Hash returns a PHC-style string: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func Hash(password string, p Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Passes, p.MemoryKiB, p.Lanes, p.KeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Passes, p.Lanes,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Verify reports whether password matches the stored hash, in constant time.
func Verify(password, hash string) (bool, error) {
	p, salt, key, err := decode(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Passes, p.MemoryKiB, p.Lanes, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether hash was made with other parameters than want.
func NeedsRehash(hash string, want Params) bool {
	p, salt, key, err := decode(hash)
	if err != nil {
		return true
	}
	return p.MemoryKiB != want.MemoryKiB || p.Passes != want.Passes || p.Lanes != want.Lanes ||
		len(salt) != want.SaltLen || uint32(len(key)) != want.KeyLen
}

func decode(hash string) (Params, []byte, []byte, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Passes, &p.Lanes); err != nil ||
		p.MemoryKiB == 0 || p.Passes == 0 || p.Lanes == 0 || p.MemoryKiB > 1<<22 || p.Passes > 64 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	key, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	p.SaltLen, p.KeyLen = len(salt), uint32(len(key))
	return p, salt, key, nil
}

//go:embed common-passwords.txt
var commonList []byte

// Problem returns why password is not acceptable for a user with this phone, or "" if it
// is. The reason is safe to show to the user.
func Problem(password, phone string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return "must be valid UTF-8"
	case n < MinLength:
		return fmt.Sprintf("must be at least %d characters", MinLength)
	case n > MaxLength:
		return fmt.Sprintf("must be at most %d characters", MaxLength)
	case phone != "" && strings.Contains(password, phone):
		return "must not contain the phone number"
	case IsCommon(password):
		return "is too common"
	}
	return ""
}

// IsCommon reports whether password (case-insensitively) is on the shipped list of
// common passwords.
func IsCommon(password string) bool {
	needle := []byte(strings.ToLower(password))
	for line := range bytes.Lines(commonList) {
		if bytes.Equal(bytes.TrimRight(line, "\r\n"), needle) {
			return true
		}
	}
	return false
}
