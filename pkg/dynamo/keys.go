package dynamo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// MinKeySecret is the shortest key-hash secret a store accepts, in bytes: the shortest
// KEY_HASH_SECRET the configuration accepts.
const MinKeySecret = app.MinKeyHashSecret

// DevKeySecret is the key-hash secret of a store made with New, for local data only (the
// local runner, tests, benchmarks). It is fixed, not random, so that a local table stays
// readable across restarts of `make run`; it is public, so it must never key real data,
// which is why Provide falls back on it only for an emulator on this machine.
const DevKeySecret = "realname development key-hash secret: local data only, never on AWS"

// keyHashBytes is how much of the HMAC a key keeps: 128 bits. Keys must be unique per
// value (a phone's item is what makes the phone unique), so two values may share a key
// only by accident: among n values that takes n near 2^64, far beyond any population of
// phones or ID numbers, and without the secret nobody can search for a collision. The
// other 16 bytes would only make every key and index entry 21 characters longer.
const keyHashBytes = 16

// keyHasher turns the personal values that identify items (phones, ID and registration
// numbers, and counter names, which callers build from phones and IP addresses) into
// HMAC-SHA256 digests under a secret, so that the table's keys, which DynamoDB shows in
// consoles, metrics (contributor insights), exports and error messages, carry none of
// them. The digest is computed locally, so a lookup costs what it did with the raw value.
//
// Changing the secret makes every item keyed by a digest unreachable (phones, codes,
// counters, identity claims), as if they had never been written. The project is
// pre-release, so there is no migration: a table is only ever used with one secret.
type keyHasher struct {
	secret []byte
}

func newKeyHasher(secret []byte) (keyHasher, error) {
	if len(secret) < MinKeySecret {
		return keyHasher{}, fmt.Errorf("dynamo: key-hash secret is %d bytes, want at least %d", len(secret), MinKeySecret)
	}
	return keyHasher{secret: append([]byte(nil), secret...)}, nil
}

// Format prints a Store as its table's name, whatever the verb: fmt would otherwise print
// its fields, the secret's bytes among them, wherever a store reaches a log or an error.
func (s *Store) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "dynamo.Store(%s)", aws.ToString(s.table))
}

// digest is the base64url (unpadded: no '#', '/', '+' or '=', so it never splits a key)
// of the first keyHashBytes of HMAC-SHA256(secret, value).
func (h keyHasher) digest(value string) string {
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:keyHashBytes])
}

func (h keyHasher) phoneKey(phone string) item { return key(prefixPhone+h.digest(phone), skPhone) }

// counterKey digests the whole counter name: callers name counters after phones and IP
// addresses ("sms-min:<phone>"), and the store cannot tell which part is personal.
func (h keyHasher) counterKey(name string) item {
	return key(prefixCounter+h.digest(name), skCounter)
}

// identityKey is the key of the claim of an approved identity. The type stays readable
// (it is not personal, and keeps personal and company numbers apart); the number does not.
func (h keyHasher) identityKey(t kyc.AccountType, idNumber string) item {
	return key(prefixIdent+string(t)+"#"+h.digest(idNumber), skIdentity)
}

// claimKey is the key of the identity claim a's approval holds. An integrator's account
// claims its identity within its app only: the identity claim guards against one person
// holding two approved accounts of one kind in one population, and an integrator's people
// are its own population (two apps verifying the same person each get their account
// approved, and neither blocks an app user; issue 14). Within an app the ID number is
// unique from the account's creation (personClaimKey), so this claim never refuses there.
func (h keyHasher) claimKey(a kyc.Account, t kyc.AccountType, idNumber string) item {
	if a.OwnerKind == kyc.OwnerIntegrator && a.OwnerID != "" {
		return key(prefixIdent+"app#"+a.OwnerID+"#"+string(t)+"#"+h.digest(idNumber), skIdentity)
	}
	return h.identityKey(t, idNumber)
}

// codeKey is the key of the code for a phone and purpose. A purpose never contains '#'
// (validCode refuses one), so the last '#' of the partition key always splits it right.
func (h keyHasher) codeKey(phone, purpose string) item {
	return key(prefixCode+h.digest(phone)+"#"+purpose, skCode)
}

// PhoneKey is the table key of the item that holds phone for its user, as this store
// writes it. The store never needs it exported: it is for tools and tests that reach the
// table directly (finding a phone's items, planting an item as an older version wrote it).
func (s *Store) PhoneKey(phone string) map[string]types.AttributeValue {
	return s.keys.phoneKey(phone)
}

// CodeKey is the table key of the SMS code of phone for purpose (see PhoneKey).
func (s *Store) CodeKey(phone, purpose string) map[string]types.AttributeValue {
	return s.keys.codeKey(phone, purpose)
}

// CounterKey is the table key of the counter of that name (see PhoneKey).
func (s *Store) CounterKey(name string) map[string]types.AttributeValue {
	return s.keys.counterKey(name)
}

// IdentityKey is the table key of the claim of an approved identity (see PhoneKey).
func (s *Store) IdentityKey(t kyc.AccountType, idNumber string) map[string]types.AttributeValue {
	return s.keys.identityKey(t, idNumber)
}

// UserIDsForPhone are the ids a user registering phone gets, and its personal account:
// derived from the phone under the key-hash secret (the same for a phone every time, and
// like any other id: 26 characters of the id alphabet), so a login can read the phone
// item, the user and the account in one call (GetLoginByPhone). Without the secret they
// tell nothing about the phone.
func (s *Store) UserIDsForPhone(phone string) (userID, accountID string) {
	return s.keys.derivedID("user id", phone), s.keys.derivedID("account id", phone)
}

// derivedID is a 26-character id (kyc.RandomIDs' alphabet) derived from value under the
// secret, separated from every other use of the secret by label.
func (h keyHasher) derivedID(label, value string) string {
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte("realname derived id\x00" + label + "\x00" + value))
	return derivedIDEncoding.EncodeToString(m.Sum(nil)[:16])
}

var derivedIDEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)
