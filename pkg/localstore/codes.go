package localstore

import (
	"context"
	"crypto/subtle"
	"time"

	"go.etcd.io/bbolt"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// errBadCode is every CheckCode refusal: the client learns that the code did not work,
// never why (absent, expired, used, dead or wrong), so probing reveals nothing.
func errBadCode() error { return kyc.Errorf(kyc.EBADCODE, "SMS code wrong or expired.") }

// codeKey is lp(phone) + purpose: one live code per phone and purpose, and no phone is
// confused with another that it is a prefix of.
func codeKey(phone, purpose string) []byte { return concat(lp(phone), []byte(purpose)) }

// PutCode stores c for (Phone, Purpose), replacing any earlier code with its tries and use.
func (s *Store) PutCode(ctx context.Context, c kyc.SMSCode) error {
	if err := checkKeyPart("phone", c.Phone); err != nil {
		return err
	}
	if err := checkKeyPart("purpose", c.Purpose); err != nil {
		return err
	}
	if c.CodeHash == "" {
		return kyc.FieldError(kyc.EMISSING, "code hash", "required")
	}
	return s.update(ctx, "put code", func(tx *bbolt.Tx) error {
		return putJSON(bucket(tx, bucketCodes), codeKey(c.Phone, c.Purpose), toCodeRecord(c))
	})
}

// CheckCode decides and records in one write transaction, so the check, the use and the
// count of a wrong try cannot interleave with another caller's. A wrong try is committed
// (Attempts+1) before EBADCODE is returned: the refusal must not roll the count back.
func (s *Store) CheckCode(ctx context.Context, phone, purpose, codeHash string, now time.Time, consume bool) error {
	if checkKeyPart("phone", phone) != nil || checkKeyPart("purpose", purpose) != nil {
		return errBadCode() // no such code can have been stored
	}
	ok := false
	err := s.update(ctx, "check code", func(tx *bbolt.Tx) error {
		b, k := bucket(tx, bucketCodes), codeKey(phone, purpose)
		var r codeRecord
		found, err := getJSON(b, k, &r)
		if err != nil || !found {
			return err
		}
		if r.Used || r.Attempts >= kyc.MaxCodeAttempts || !now.Before(r.ExpiresAt) {
			return nil // not live: refused, and there is nothing left to count
		}
		if subtle.ConstantTimeCompare([]byte(r.CodeHash), []byte(codeHash)) != 1 {
			r.Attempts++
			return putJSON(b, k, r)
		}
		ok = true
		if !consume {
			return nil
		}
		r.Used = true
		return putJSON(b, k, r)
	})
	if err != nil {
		return err
	}
	if !ok {
		return errBadCode()
	}
	return nil
}
