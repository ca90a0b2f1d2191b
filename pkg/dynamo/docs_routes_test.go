package dynamo_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// TestDocumentRoutesCalls pins the DynamoDB calls of the document routes' combined
// methods that the package documentation promises, on success and on refusals.
func TestDocumentRoutesCalls(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := d.countingStore(d.table(t))
		ctx := t.Context()
		now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		u, a := mkUser(1, kyc.PersonalAccount)
		if _, err := s.CreateUser(ctx, u, a); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for i := range 120 {
			up := kyc.Upload{Key: fmt.Sprintf("uploads/a1/frontOfID/%03d", i), AccountID: "a1", UserID: "u1", Slot: "frontOfID",
				ContentType: "image/png", Length: 10, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			if err := s.PutUpload(ctx, up); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, up.Key)
		}
		steps := []struct {
			name string
			do   func() error
			code string
			want []string
		}{
			{"account alone", func() error { _, _, err := s.GetAccountAndUploads(ctx, "a1", nil, now); return err }, "",
				[]string{"BatchGetItem"}},
			{"account and two uploads", func() error {
				_, ups, err := s.GetAccountAndUploads(ctx, "a1", keys[:2], now)
				if err == nil && len(ups) != 2 {
					err = fmt.Errorf("%d uploads, want 2", len(ups))
				}
				return err
			}, "", []string{"BatchGetItem"}},
			{"repeated and impossible keys", func() error {
				_, ups, err := s.GetAccountAndUploads(ctx, "a1", []string{keys[0], keys[0], "", strings.Repeat("k", 3000), "\xff"}, now)
				if err == nil && len(ups) != 1 {
					err = fmt.Errorf("%d uploads, want 1", len(ups))
				}
				return err
			}, "", []string{"BatchGetItem"}},
			{"99 keys", func() error { _, _, err := s.GetAccountAndUploads(ctx, "a1", keys[:99], now); return err }, "",
				[]string{"BatchGetItem"}},
			{"120 keys", func() error { _, _, err := s.GetAccountAndUploads(ctx, "a1", keys, now); return err }, "",
				[]string{"BatchGetItem", "BatchGetItem"}},
			{"missing account", func() error { _, _, err := s.GetAccountAndUploads(ctx, "a2", keys[:2], now); return err }, kyc.ENOTFOUND,
				[]string{"BatchGetItem"}},
			{"portrait", func() error { _, err := s.SetUserPortrait(ctx, "u1", "accounts/a1/portrait/p", now); return err }, "",
				[]string{"UpdateItem"}},
			{"portrait of a missing user", func() error { _, err := s.SetUserPortrait(ctx, "u2", "accounts/a2/portrait/p", now); return err },
				kyc.ENOTFOUND, []string{"UpdateItem"}},
		}
		s.take()
		for _, st := range steps {
			if err := st.do(); kyc.ErrorCode(err) != st.code {
				t.Errorf("%s: %v, want code %q", st.name, err, st.code)
			}
			if got := s.take(); !slices.Equal(got, st.want) {
				t.Errorf("%s: calls %v, want %v", st.name, got, st.want)
			}
		}
	})
}

// TestSetUserPortraitItem checks what SetUserPortrait writes: the three attributes it
// names and nothing else, and no item for a user that does not exist.
func TestSetUserPortraitItem(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		table := d.table(t)
		s := dynamo.New(d.client, table)
		ctx := t.Context()
		u, a := mkUser(1, kyc.PersonalAccount)
		if _, err := s.CreateUser(ctx, u, a); err != nil {
			t.Fatal(err)
		}
		before := d.rawItem(t, table, "USER#u1", "USER")
		at := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
		if _, err := s.SetUserPortrait(ctx, "u1", "accounts/a1/portrait/p", at); err != nil {
			t.Fatal(err)
		}
		after := d.rawItem(t, table, "USER#u1", "USER")
		for name, v := range after {
			changed := fmt.Sprint(v) != fmt.Sprint(before[name])
			if want := name == "Portrait" || name == "UpdatedAt" || name == "Version"; changed != want {
				t.Errorf("attribute %s: changed %v, want %v", name, changed, want)
			}
		}
		if len(after) != len(before) {
			t.Errorf("%d attributes after, %d before", len(after), len(before))
		}
		if v, _ := after["Version"].(*types.AttributeValueMemberN); v == nil || v.Value != "2" {
			t.Errorf("Version %v, want 2", after["Version"])
		}
		if _, err := s.SetUserPortrait(ctx, "u9", "k", at); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Errorf("missing user: %v", err)
		}
		if it := d.rawItem(t, table, "USER#u9", "USER"); it != nil {
			t.Errorf("a missing user's portrait wrote %v", it)
		}
	})
}
