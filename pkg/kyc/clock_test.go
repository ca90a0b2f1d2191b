package kyc_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

func TestFixedClock(t *testing.T) {
	start := time.Date(2025, 1, 2, 11, 4, 5, 0, time.FixedZone("UTC+8", 8*3600))
	c := kyc.NewFixedClock(start)
	if got := c.Now(); !got.Equal(start) || got.Location() != time.UTC {
		t.Errorf("Now = %v, want %v in UTC", got, start)
	}
	c.Advance(90 * time.Second)
	if got := c.Now(); !got.Equal(start.Add(90 * time.Second)) {
		t.Errorf("after Advance: Now = %v", got)
	}
}

func TestSystemClockIsUTC(t *testing.T) {
	now := kyc.SystemClock{}.Now()
	if now.Location() != time.UTC {
		t.Errorf("Location = %v, want UTC", now.Location())
	}
	if d := time.Since(now); d < 0 || d > time.Minute {
		t.Errorf("Now is %v away from time.Now", d)
	}
}

func TestRandomIDs(t *testing.T) {
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	var ids kyc.RandomIDs
	seen := map[string]bool{}
	for range 1000 {
		id := ids.NewID()
		if len(id) != 26 {
			t.Fatalf("id %q has length %d, want 26", id, len(id))
		}
		if i := strings.IndexFunc(id, func(r rune) bool { return !strings.ContainsRune(alphabet, r) }); i >= 0 {
			t.Fatalf("id %q has %q outside the Crockford alphabet", id, id[i])
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
	// Ids made in later milliseconds sort after earlier ones.
	var ordered []string
	for range 3 {
		ordered = append(ordered, ids.NewID())
		time.Sleep(2 * time.Millisecond)
	}
	if !slices.IsSorted(ordered) {
		t.Errorf("ids made 2ms apart do not sort by time: %v", ordered)
	}
}
