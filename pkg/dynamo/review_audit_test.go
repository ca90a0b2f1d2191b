package dynamo_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Actor audit records (a reviewer's list reads): each append is one TransactWriteItems
// that requires the reader's session to be live and never overwrites, two of one instant are both kept, a reviewer's records list oldest first
// with every field as written, and actors' partitions are apart.
func TestActorAudit(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		table := d.table(t)
		s := d.countingStore(table)
		ctx := t.Context()
		at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		recs := []kyc.ActorAuditRecord{
			{Actor: "rev-1", ActorRole: kyc.RoleReviewer, At: at, Action: kyc.ActionListRead, Subject: "personal_account", AccountIDs: []string{"a1", "a2"}, RequestID: "req-1"},
			{Actor: "rev-1", ActorRole: kyc.RoleReviewer, At: at, Action: kyc.ActionListRead, Subject: "personal_account", AccountIDs: []string{"a3"}, RequestID: "req-2"},
			{Actor: "rev-1", ActorRole: kyc.RoleAdmin, At: at.Add(time.Second), Action: kyc.ActionListRead, Subject: "company_account", AccountIDs: []string{"c1"}},
			{Actor: "rev-2", ActorRole: kyc.RoleReviewer, At: at, Action: kyc.ActionListRead, Subject: "company_account", AccountIDs: []string{"c2"}},
		}
		sess := kyc.Session{TokenHash: "live-token-hash", UserID: "rev-1", AccountID: "acct-rev-1", Role: kyc.RoleReviewer, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		if err := s.PutSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		s.take()
		live := kyc.LiveSession{TokenHash: sess.TokenHash, Now: at.Add(time.Minute)}
		for _, r := range recs {
			if err := s.AppendActorAuditLive(ctx, live, r); err != nil {
				t.Fatalf("AppendActorAuditLive: %v", err)
			}
			if got := s.take(); !slices.Equal(got, []string{"TransactWriteItems"}) {
				t.Errorf("AppendActorAuditLive: calls %v, want [TransactWriteItems]", got)
			}
		}
		// A session that has expired, or was never there, writes nothing.
		late := kyc.ActorAuditRecord{Actor: "rev-3", At: at, Action: kyc.ActionListRead, Subject: "company_account"}
		for name, l := range map[string]kyc.LiveSession{
			"expired": {TokenHash: sess.TokenHash, Now: sess.ExpiresAt},
			"absent":  {TokenHash: "no-such-session", Now: live.Now},
			"unnamed": {Now: live.Now},
		} {
			if err := s.AppendActorAuditLive(ctx, l, late); !kyc.IsCode(err, kyc.EUNAUTHORIZED) {
				t.Errorf("%s session: AppendActorAuditLive = %v, want EUNAUTHORIZED", name, err)
			}
		}
		if got, err := s.ListActorAudit(ctx, "rev-3"); err != nil || len(got) != 0 {
			t.Errorf("records written without a live session: %+v, %v", got, err)
		}
		got, err := s.ListActorAudit(ctx, "rev-1")
		if err != nil {
			t.Fatalf("ListActorAudit: %v", err)
		}
		// Records of one instant list in either order.
		slices.SortStableFunc(got, func(a, b kyc.ActorAuditRecord) int { return a.At.Compare(b.At) })
		if got[0].RequestID == "req-2" {
			got[0], got[1] = got[1], got[0]
		}
		if diff := cmp.Diff(recs[:3], got); diff != "" {
			t.Errorf("rev-1's records (-want +got):\n%s", diff)
		}
		if got, _ := s.ListActorAudit(ctx, "rev-2"); len(got) != 1 || got[0].AccountIDs[0] != "c2" {
			t.Errorf("rev-2's records %+v, want its one", got)
		}
		if got, err := s.ListActorAudit(ctx, "nobody"); err != nil || len(got) != 0 {
			t.Errorf("ListActorAudit(nobody) = %+v, %v; want none", got, err)
		}
		if err := s.AppendActorAuditLive(ctx, live, kyc.ActorAuditRecord{At: at, Action: kyc.ActionListRead}); !kyc.IsCode(err, kyc.EMISSING) {
			t.Errorf("AppendActorAuditLive without an actor = %v, want EMISSING", err)
		}
	})
}
