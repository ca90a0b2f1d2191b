package localstore

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// maxKeyPart bounds ids, phones and token hashes: far above any real one, and within the
// 2-byte length prefix of lp.
const maxKeyPart = 1024

const timeKeyLen = 12

// timeKey is 12 bytes that sort as t does, zero time and pre-1970 instants included.
func timeKey(t time.Time) []byte {
	b := make([]byte, timeKeyLen)
	binary.BigEndian.PutUint64(b, uint64(t.Unix())^(1<<63))
	binary.BigEndian.PutUint32(b[8:], uint32(t.Nanosecond()))
	return b
}

// lp prefixes s with its length, so a prefix scan for one id never matches a longer id
// that starts with it. Callers have checked len(s) <= maxKeyPart.
func lp(s string) []byte {
	b := make([]byte, 2, 2+len(s))
	binary.BigEndian.PutUint16(b, uint16(len(s)))
	return append(b, s...)
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func pendingKey(typ kyc.AccountType, submittedAt time.Time, id string) []byte {
	return concat(lp(string(typ)), timeKey(submittedAt), []byte(id))
}

func submittedKey(submittedAt time.Time, id string) []byte {
	return concat(timeKey(submittedAt), []byte(id))
}

func auditKey(accountID string, at time.Time, seq uint64) []byte {
	return concat(lp(accountID), timeKey(at), binary.BigEndian.AppendUint64(nil, seq))
}

// identityKey is the claim of an approved identity: the ID number of a type. The type is
// length-prefixed, so the number may hold any bytes.
func identityKey(typ kyc.AccountType, idNumber string) []byte {
	return concat(lp(string(typ)), []byte(idNumber))
}

func userSessionKey(userID, tokenHash string) []byte {
	return concat(lp(userID), []byte(tokenHash))
}

// Page cursors are base64url (no padding) of
//
//	version byte | pending index key of the page's last account | HMAC-SHA256 (16 bytes)
//
// The index key carries the account type, so a cursor of one type is refused for another;
// the MAC, keyed per file, makes any edited or forged cursor EINVALID rather than a
// position the server never handed out.
const (
	cursorVersion = 1
	cursorMACLen  = 16
)

// cursorEncoding is strict so that two cursor strings never decode to the same bytes.
func cursorEncoding() *base64.Encoding { return base64.RawURLEncoding.Strict() }

func (s *Store) cursorMAC(payload []byte) []byte {
	m := hmac.New(sha256.New, s.cursorKey)
	m.Write(payload)
	return m.Sum(nil)[:cursorMACLen]
}

func (s *Store) encodeCursor(indexKey []byte) string {
	payload := append([]byte{cursorVersion}, indexKey...)
	return cursorEncoding().EncodeToString(append(payload, s.cursorMAC(payload)...))
}

// decodeCursor returns the index key to continue after, or EINVALID.
func (s *Store) decodeCursor(typ kyc.AccountType, cursor string) ([]byte, error) {
	invalid := kyc.FieldError(kyc.EINVALID, "cursor", "not a cursor of this list")
	if len(cursor) > 4*maxKeyPart {
		return nil, invalid
	}
	raw, err := cursorEncoding().DecodeString(cursor)
	if err != nil || len(raw) < 1+cursorMACLen {
		return nil, invalid
	}
	payload, mac := raw[:len(raw)-cursorMACLen], raw[len(raw)-cursorMACLen:]
	if !hmac.Equal(mac, s.cursorMAC(payload)) || payload[0] != cursorVersion {
		return nil, invalid
	}
	key := payload[1:]
	prefix := lp(string(typ))
	if !bytes.HasPrefix(key, prefix) || len(key) <= len(prefix)+timeKeyLen {
		return nil, invalid
	}
	return key, nil
}
