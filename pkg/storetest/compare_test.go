package storetest

import (
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// TestEqual pins the suite's comparison: whole records, with only the latitudes the
// package documentation grants (time location and sub-millisecond digits, nil for empty).
func TestEqual(t *testing.T) {
	_, full := fullUserAccount()
	utc := func(a kyc.Account) kyc.Account {
		a.CreatedAt, a.UpdatedAt, a.SubmittedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC(), a.SubmittedAt.UTC()
		for slot, d := range a.Documents {
			d.UploadedAt = d.UploadedAt.UTC()
			a.Documents[slot] = d
		}
		return a
	}
	same := []struct {
		name string
		got  func(a kyc.Account) kyc.Account
	}{
		{"identical", func(a kyc.Account) kyc.Account { return a }},
		{"times in UTC", utc},
		{"sub-millisecond digits dropped", func(a kyc.Account) kyc.Account {
			a.UpdatedAt = a.UpdatedAt.Add(999 * time.Microsecond)
			return a
		}},
		{"nil slices and maps for empty ones", func(a kyc.Account) kyc.Account {
			a.Reasons, a.ReuploadSlots, a.Documents = nil, nil, nil
			return a
		}},
	}
	for _, c := range same {
		want := cloneAccount(full)
		if c.name == "nil slices and maps for empty ones" {
			want.Reasons, want.ReuploadSlots, want.Documents = []string{}, []string{}, map[string]kyc.Document{}
		}
		if d := diff(want, c.got(cloneAccount(full))); d != "" {
			t.Errorf("%s: records differ (-want +got):\n%s", c.name, d)
		}
	}

	differ := []struct {
		name string
		got  func(a kyc.Account) kyc.Account
	}{
		{"a document's Check dropped", func(a kyc.Account) kyc.Account {
			d := a.Documents["licence"]
			d.Check = ""
			a.Documents["licence"] = d
			return a
		}},
		{"a document dropped", func(a kyc.Account) kyc.Account { delete(a.Documents, "unchecked"); return a }},
		{"milliseconds dropped", func(a kyc.Account) kyc.Account {
			a.SubmittedAt = a.SubmittedAt.Truncate(time.Second)
			return a
		}},
		{"a reason dropped", func(a kyc.Account) kyc.Account { a.Reasons = a.Reasons[:1]; return a }},
		{"reasons reordered", func(a kyc.Account) kyc.Account { a.Reasons[0], a.Reasons[1] = a.Reasons[1], a.Reasons[0]; return a }},
		{"NotActive dropped", func(a kyc.Account) kyc.Account { a.NotActive = false; return a }},
		{"Version dropped", func(a kyc.Account) kyc.Account { a.Version = 0; return a }},
		{"wall clock instead of the instant", func(a kyc.Account) kyc.Account {
			a.CreatedAt = time.Date(a.CreatedAt.Year(), a.CreatedAt.Month(), a.CreatedAt.Day(), a.CreatedAt.Hour(),
				a.CreatedAt.Minute(), a.CreatedAt.Second(), a.CreatedAt.Nanosecond(), time.UTC)
			return a
		}},
	}
	full.Version = 1
	for _, c := range differ {
		if diff(full, c.got(cloneAccount(full))) == "" {
			t.Errorf("%s: records compare equal", c.name)
		}
	}
	if sameMillisecond(At(0), At(0).Add(time.Millisecond)) {
		t.Error("times a millisecond apart compare equal")
	}
}
