package kyc

import (
	"strings"
	"testing"
	"time"
)

// TestDecideQualification: the decision's rules, in the order a reviewer meets them.
func TestDecideQualification(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	acct := Account{ID: "a1", OwnerID: "u1", Type: PersonalAccount}
	q, rec := NewQualification("q1", acct, Principal{UserID: "u1", AccountID: "a1", Role: RoleUser}, Document{Key: "k"}, at, "r1")
	if q.State != QualificationPending || q.Version != 1 || q.AccountType != PersonalAccount || rec.To != State(QualificationPending) || rec.Action != ActionQualificationSubmit {
		t.Fatalf("new certificate %+v, record %+v", q, rec)
	}
	rev := Actor{ID: "r", Role: RoleReviewer, AccountID: "ra", RequestID: "req"}
	decided := q
	decided.State = QualificationApproved
	cases := []struct {
		name    string
		q       Qualification
		approve bool
		reason  string
		by      Actor
		code    string
		state   QualificationState
	}{
		{"approve", q, true, "ignored", rev, "", QualificationApproved},
		{"reject", q, false, "  expired  ", rev, "", QualificationRejected},
		{"reject without a reason", q, false, " ", rev, EMISSING, ""},
		{"reason too long", q, false, strings.Repeat("x", MaxReasonLength+1), rev, EINVALID, ""},
		{"own certificate (user)", q, true, "", Actor{ID: "u1", Role: RoleReviewer}, EFORBIDDEN, ""},
		{"own certificate (account)", q, true, "", Actor{ID: "other", Role: RoleReviewer, AccountID: "a1"}, EFORBIDDEN, ""},
		{"decided already", decided, false, "again", rev, ECONFLICT, ""},
	}
	for _, c := range cases {
		next, audit, err := DecideQualification(c.q, c.approve, c.reason, c.by, at.Add(time.Hour))
		if ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want code %q", c.name, err, c.code)
			continue
		}
		if c.code != "" {
			continue
		}
		wantReason := ""
		if c.state == QualificationRejected {
			wantReason = "expired"
		}
		if next.State != c.state || next.Reason != wantReason || next.Version != 2 || next.DecidedBy != "r" || !next.DecidedAt.Equal(at.Add(time.Hour)) {
			t.Errorf("%s: decided %+v", c.name, next)
		}
		want := AuditRecord{AccountID: "a1", At: at.Add(time.Hour), Actor: "r", ActorRole: RoleReviewer, Action: ActionQualificationDecide,
			From: State(QualificationPending), To: State(c.state), Reason: wantReason, RequestID: "req"}
		if audit != want {
			t.Errorf("%s: audit %+v, want %+v", c.name, audit, want)
		}
	}
}
