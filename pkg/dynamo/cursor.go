package dynamo

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// cursorVersion lets a later layout of the cursor refuse older ones cleanly. Version 2
// added the total: version 1 cursors are refused (EINVALID), and the list starts again.
const cursorVersion = 2

// cursorSumSize is how many bytes of SHA-256 a cursor carries.
const cursorSumSize = 8

// cursorSumDomain separates the cursor's checksum from any other use of SHA-256.
const cursorSumDomain = "realname/dynamo/pending-cursor\x00"

// cursor is the position after the last item of a page of a GSIPending queue: the queue it
// belongs to (an account type for ListPending, qualificationQueue for the qualification
// certificates) and that item's GSIPending sort key. The rest of the LastEvaluatedKey
// (PK, SK, PendingPK) follows from these. N is the list's total as the
// first page read it: a later page answers it again instead of reading the count, so a
// page is one Query (a listing's total is the count when it began).
type cursor struct {
	V    int    `json:"v"`
	Type string `json:"t"`
	SK   string `json:"k"`
	N    int64  `json:"n"`
}

// encodeCursor returns base64url(JSON || checksum). The checksum makes any damaged or
// edited cursor fail cleanly as EINVALID instead of silently starting a page elsewhere.
// It is not a secret MAC: someone who rebuilds a valid cursor by hand can only choose
// where in the same type's queue a page starts, which lists nothing they could not read
// anyway, and what total their own later pages show.
func encodeCursor(queue string, sk string, total int64) string {
	b, _ := json.Marshal(cursor{V: cursorVersion, Type: queue, SK: sk, N: total}) // cannot fail
	return base64.RawURLEncoding.EncodeToString(append(b, cursorSum(b)...))
}

func cursorSum(payload []byte) []byte {
	h := sha256.New()
	h.Write([]byte(cursorSumDomain))
	h.Write(payload)
	return h.Sum(nil)[:cursorSumSize]
}

// decodeCursor returns the GSIPending sort key and the total encoded in c, after checking
// that c is exactly what encodeCursor makes for the queue.
func decodeCursor(c string, queue string) (string, int64, error) {
	bad := kyc.FieldError(kyc.EINVALID, "cursor", "not a cursor of this list")
	if len(c) > maxCursorLen { // refuse before decoding
		return "", 0, bad
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err != nil || len(raw) <= cursorSumSize {
		return "", 0, bad
	}
	payload, sum := raw[:len(raw)-cursorSumSize], raw[len(raw)-cursorSumSize:]
	if !bytes.Equal(sum, cursorSum(payload)) {
		return "", 0, bad
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var cur cursor
	if err := dec.Decode(&cur); err != nil || dec.More() {
		return "", 0, bad
	}
	if cur.V != cursorVersion || cur.Type != queue || !validQueueSK(cur.SK) || cur.N < 0 {
		return "", 0, bad
	}
	// Only the canonical encoding is accepted, so one position has exactly one cursor.
	if encodeCursor(queue, cur.SK, cur.N) != c {
		return "", 0, bad
	}
	return cur.SK, cur.N, nil
}

// maxQueueID bounds the id in a queue sort key (ours are 26 characters), and maxCursorLen
// the cursor of the longest such key, JSON escapes (6 characters for 1 byte) included: a
// position the store can make always has a cursor decodeCursor takes back.
const (
	maxQueueID   = 256
	maxCursorLen = 4096
)

// validQueueSK checks the shape "<fixed-width time>#<id>".
func validQueueSK(sk string) bool {
	n := len(timeLayout)
	if len(sk) < n+2 || len(sk) > n+1+maxQueueID || sk[n] != '#' {
		return false
	}
	ts, id := sk[:n], sk[n+1:]
	t, err := parseTime(ts)
	if err != nil || fmtTime(t) != ts {
		return false
	}
	return utf8.ValidString(id) && !strings.ContainsFunc(id, unicode.IsControl)
}
