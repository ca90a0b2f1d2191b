package kyc

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// FixedClock is a clock tests move by hand. Safe for concurrent use.
type FixedClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFixedClock returns a clock that stands at t until moved.
func NewFixedClock(t time.Time) *FixedClock { return &FixedClock{t: t.UTC()} }

// Now returns the clock's time.
func (c *FixedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock forward by d.
func (c *FixedClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// RandomIDs makes time-ordered random ids: 6 bytes of milliseconds then 10 random bytes,
// in lower-case Crockford base32 (26 characters), so ids sort roughly by creation.
type RandomIDs struct{}

// NewID returns a new id.
func (RandomIDs) NewID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // cannot happen on supported platforms
	}
	return strings.ToLower(idEncoding.EncodeToString(b[:]))
}

// DerivedID is an id made from parts rather than drawn: the same parts give the same id,
// in NewID's alphabet and length. A create that may be retried (its answer lost) names
// what it creates with one, so that the retry finds the first instead of making a second.
// The parts are the caller's and need no secrecy: never personal data.
func DerivedID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return idEncoding.EncodeToString(h.Sum(nil)[:16])
}
