package dynamo_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Actor audit records (a reviewer's list reads): each append is one PutItem that never
// overwrites, two of one instant are both kept, a reviewer's records list oldest first
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
		for _, r := range recs {
			if err := s.AppendActorAudit(ctx, r); err != nil {
				t.Fatalf("AppendActorAudit: %v", err)
			}
			if got := s.take(); !slices.Equal(got, []string{"PutItem"}) {
				t.Errorf("AppendActorAudit: calls %v, want [PutItem]", got)
			}
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
		if err := s.AppendActorAudit(ctx, kyc.ActorAuditRecord{At: at, Action: kyc.ActionListRead}); !kyc.IsCode(err, kyc.EMISSING) {
			t.Errorf("AppendActorAudit without an actor = %v, want EMISSING", err)
		}
	})
}
