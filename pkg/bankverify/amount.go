package bankverify

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Amounts paid, in fen: 0.01 to 0.99 CNY.
const (
	MinFen = 1
	MaxFen = 99
)

// MinSecretLength is the shortest amount secret accepted, in bytes: the secret is what
// keeps 99 possible amounts from being tried against a stored hash.
const MinSecretLength = 32

// Amount is a verification amount in fen, MinFen to MaxFen.
type Amount int64

// NewAmount is a uniformly random amount from crypto/rand: a predictable amount would
// let anyone confirm an account they do not hold.
func NewAmount() (Amount, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(MaxFen-MinFen+1))
	if err != nil {
		return 0, fmt.Errorf("bankverify: random amount: %w", err)
	}
	return Amount(n.Int64() + MinFen), nil
}

// Fen is the amount in fen, as pkg/payout takes it.
func (a Amount) Fen() int64 { return int64(a) }

// String writes the amount as yuan with two decimals ("0.37"), as API.md does.
func (a Amount) String() string { return fmt.Sprintf("%d.%02d", a/100, a%100) }

// ParseAmount reads a client's answer: "0.37", "0.3" (30 fen) or ".37", surrounding
// spaces allowed, a trailing 元 too, and full-width digits and point (０．３７), which a
// Chinese input method may type. Anything else, and anything outside 0.01-0.99, is
// EINVALID on the field amount: a malformed answer is not a wrong amount and costs no try.
func ParseAmount(s string) (Amount, error) {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '．':
			return '.'
		}
		return r
	}, s)
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "元"))
	whole, frac, ok := strings.Cut(s, ".")
	if s == "" {
		return 0, kyc.FieldError(kyc.EMISSING, "amount", "required")
	}
	if !ok || (whole != "" && whole != "0") || len(frac) < 1 || len(frac) > 2 || strings.Trim(frac, "0123456789") != "" {
		return 0, kyc.FieldError(kyc.EINVALID, "amount", "must be an amount from 0.01 to 0.99, such as 0.37")
	}
	if len(frac) == 1 {
		frac += "0"
	}
	n, err := strconv.Atoi(frac)
	if err != nil || n < MinFen || n > MaxFen {
		return 0, kyc.FieldError(kyc.EINVALID, "amount", "must be an amount from 0.01 to 0.99, such as 0.37")
	}
	return Amount(n), nil
}

// HashAmount is what the store keeps of a verification's amount: hex HMAC-SHA256 under
// secret of "bankverify\x00<verification id>\x00<fen>".
func HashAmount(secret []byte, verificationID string, a Amount) (string, error) {
	if err := checkSecret(secret); err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, secret)
	fmt.Fprintf(m, "bankverify\x00%s\x00%d", verificationID, int64(a))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// AmountMatches reports, in constant time, whether a is the amount hashed as hash for the
// verification. A short secret never matches.
func AmountMatches(secret []byte, verificationID, hash string, a Amount) bool {
	want, err := hex.DecodeString(hash)
	if err != nil || len(want) != sha256.Size {
		return false
	}
	got, err := HashAmount(secret, verificationID, a)
	if err != nil {
		return false
	}
	g, _ := hex.DecodeString(got)
	return hmac.Equal(g, want)
}

func checkSecret(secret []byte) error {
	if len(secret) < MinSecretLength {
		return errors.New("bankverify: the amount secret must be at least 32 bytes")
	}
	return nil
}
