package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// The Standard Webhooks headers. http.Header canonicalises them on Set; HTTP header names
// are case-insensitive, so receivers reading "webhook-id" still find them.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a webhook-timestamp may be from the receiver's clock: the
// spec's five minutes, which bounds how long a captured request can be replayed.
const DefaultTolerance = 5 * time.Minute

// maxMessageIDLen keeps webhook-id a short header; our ids are 26 characters.
const maxMessageIDLen = 128

// Verification errors, for receivers to tell a stale request from a forged one.
var (
	ErrMissingHeaders = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	ErrBadTimestamp   = errors.New("webhook: webhook-timestamp is not unix seconds")
	ErrTooOld         = errors.New("webhook: timestamp too old")
	ErrTooNew         = errors.New("webhook: timestamp too new")
	ErrNoSignature    = errors.New("webhook: no signature matches")
	ErrNoSecret       = errors.New("webhook: no secret to verify with")
)

// Sign returns "v1,<base64 HMAC-SHA256(msgID.unix(ts).body)>", the spec's symmetric
// signature. msgID must have passed CheckMessageID (Headers does that).
func Sign(secret []byte, msgID string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, msgID, ts.Unix(), body))
}

// SignAll signs with every secret and joins the signatures with spaces: during a rotation
// both the old and the new secret sign, so receivers holding either keep verifying.
func SignAll(secrets [][]byte, msgID string, ts time.Time, body []byte) string {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		sigs[i] = Sign(s, msgID, ts, body)
	}
	return strings.Join(sigs, " ")
}

// Headers returns the three Standard Webhooks headers for one delivery attempt. msgID is
// the event's id (the same on every retry and replay, so receivers can deduplicate); ts is
// the attempt's time (new on every attempt, so the receiver's tolerance check passes).
func Headers(secrets [][]byte, msgID string, ts time.Time, body []byte) (http.Header, error) {
	if err := CheckMessageID(msgID); err != nil {
		return nil, err
	}
	if len(secrets) == 0 {
		return nil, fmt.Errorf("webhook headers: %w", ErrNoSecret)
	}
	for i, s := range secrets {
		if len(s) == 0 {
			return nil, fmt.Errorf("webhook headers: secret %d is empty", i)
		}
	}
	h := http.Header{}
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, SignAll(secrets, msgID, ts, body))
	return h, nil
}

// CheckMessageID refuses ids that would make the signed content ambiguous: the spec warns
// that a "." in the id lets one (id, timestamp) pair pass for another.
func CheckMessageID(id string) error {
	if id == "" {
		return kyc.FieldError(kyc.EMISSING, "webhook-id", "is required")
	}
	if len(id) > maxMessageIDLen {
		return kyc.FieldError(kyc.EINVALID, "webhook-id", fmt.Sprintf("must be at most %d characters", maxMessageIDLen))
	}
	for _, r := range id {
		if !isIDRune(r) {
			return kyc.FieldError(kyc.EINVALID, "webhook-id", "may only hold letters, digits, '_' and '-'")
		}
	}
	return nil
}

func isIDRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

// Verify checks a delivery the way a receiver must: all three headers present, the
// timestamp within tolerance of now (either way), and one "v1" signature in the header
// matching one of secrets, compared in constant time. It is what our tests use and what
// the README shows receivers.
func Verify(secrets [][]byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissingHeaders
	}
	if len(secrets) == 0 {
		return ErrNoSecret
	}
	unix, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	if err := checkTolerance(unix, now, tolerance); err != nil {
		return err
	}
	expected := make([][]byte, 0, len(secrets))
	for _, s := range secrets {
		if len(s) > 0 {
			expected = append(expected, mac(s, id, unix, body))
		}
	}
	if anyMatches(sigs, expected) {
		return nil
	}
	return ErrNoSignature
}

// checkTolerance compares in whole seconds, the header's resolution, and only subtracts
// from the local clock: arithmetic on a hostile header value could overflow and pass.
func checkTolerance(unix int64, now time.Time, tolerance time.Duration) error {
	tol := int64(tolerance / time.Second)
	n := now.Unix()
	switch {
	case unix < n-tol:
		return ErrTooOld
	case unix > n+tol:
		return ErrTooNew
	}
	return nil
}

// anyMatches walks every signature in the header, skipping other versions (v1a is the
// spec's asymmetric scheme) and malformed ones, so one bad entry cannot hide a good one.
func anyMatches(header string, expected [][]byte) bool {
	found := false
	for _, entry := range strings.Fields(header) {
		version, encoded, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			continue
		}
		for _, want := range expected {
			// No early return: the time taken does not depend on which entry matched.
			if hmac.Equal(got, want) {
				found = true
			}
		}
	}
	return found
}

func mac(secret []byte, msgID string, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(msgID))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, unix, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}
